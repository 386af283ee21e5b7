"""The open results bundle: everything anyone needs to recompute a published campaign.

A zip of answers.csv (ballots shuffled, fresh random ids), method.json (the exact method
of publication), results.json (the frozen results in the canonical bytes whose SHA-256 is
published), targets.csv, receipts.txt, the method document, the scoring package's source, requirements.txt
(the packages it needs, pinned as installed) and a bilingual README with the commands that
reproduce the hash in a fresh virtual environment. A decision meeting's bundle has its votes,
its tally and `recount.py` (standard library only) instead of a method and the scoring
package. A signed campaign's bundle also carries `signatures.json` (the officers' public keys
and signatures) and `verify_signatures.py`, which checks them with PyNaCl alone.
"""
import csv
import io
import json
import random
import secrets
import zipfile
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import scoring
from scoring import canonical_json
from scoring.files import COLUMNS
from sqlalchemy import select

from ..ballots import keys, signing
from ..extensions import db
from ..models import Campaign, Receipt
from .adapter import coded_answers, packed_ballots

README = """\
{title_zh} / {title_en}
=====================================================================

中文
----
本压缩包是本次测评公开发布的全部结果数据，任何人都可以据此复核每一个公布的数字。

- answers.csv        全部有效选票中评分题的作答（每行一个回答：ballot,group,target,item,option）。
                     选票顺序已随机打乱，ballot 是新生成的随机编号，与数据库中的编号无关，
                     不能追溯到任何个人、测评码、时间或设备。
- method.json        发布时使用的计分方法（权重、计分、分组最少人数、等次、预警阈值）。
- results.json       发布的结果，以规范形式写出（键排序、无空白、UTF-8）；
                     其 SHA-256 即公布的结果指纹：{sha}
- targets.csv        被评对象的代码与名称（results.json 中的 target 即此代码）。
- items.csv          （如有）只针对某一对象的题目（如各领导干部的承诺事项）：代码、对象、维度、权重和题目原文。
- receipts.txt       已计票选票的回执列表（已排序），可核对自己的选票是否被计入。
- scoring-method.md  计分方法的完整说明（英文）。
- scoring/           发布时所用的计分程序（Python 源代码，依赖 {packages_zh}）。
- requirements.txt   计分程序所需的软件包及发布时的确切版本：{requirements}

复核方法（需要 Python 3.11 或更新版本）。在解压后的本文件夹中执行：

    python3 -m venv venv
    venv/bin/pip install {requirements}
    venv/bin/python -m scoring answers.csv method.json --canonical -o recomputed.json
    sha256sum results.json recomputed.json

两行输出的指纹都应为 {sha}。
去掉 --canonical 则输出便于阅读的缩进格式，数字完全相同。

English
-------
This archive holds the published results of the campaign and everything needed to check
every published number.

- answers.csv        the answers to the rating items of every counted ballot, one answer per
                     row (ballot,group,target,item,option). Ballots are shuffled and carry fresh
                     random ids, unrelated to the database: nothing links them to a person, an
                     access code, a time or a device.
- method.json        the scoring method used at publication (weights, points, minimum group
                     size, grades, alert thresholds).
- results.json       the published results in canonical form (keys sorted, no whitespace,
                     UTF-8, no final newline), whose SHA-256 is the published fingerprint:
                     {sha}
- targets.csv        the codes and names of the targets (results.json names targets by code).
- items.csv          (when there are any) the items asked of one target only (a leader's own
                     commitments): code, target, dimension, weight and the words asked.
- receipts.txt       the sorted receipts of the counted ballots: check that yours is there.
- scoring-method.md  the scoring method, in full.
- scoring/           the scoring program used at publication (Python source; it needs {packages_en}).
- requirements.txt   the packages it needs, at the exact versions that published: {requirements}

To recompute (Python 3.11 or newer), inside the unpacked folder:

    python3 -m venv venv
    venv/bin/pip install {requirements}
    venv/bin/python -m scoring answers.csv method.json --canonical -o recomputed.json
    sha256sum results.json recomputed.json

Both lines print {sha}.
Without --canonical the output is indented for reading; the numbers are the same.
"""

#: the third-party packages `scoring` imports; the bundle pins them at the versions installed
SCORING_PACKAGES = ("numpy", "scipy")


def requirements() -> list[str]:
    """`name==version` of every package the scoring program needs, as installed where it published."""
    return [f"{name}=={version(name)}" for name in SCORING_PACKAGES]


def signing_pin() -> str:
    """The one package `verify_signatures.py` needs, pinned at the version installed here."""
    return f"pynacl=={version('pynacl')}"


SIGNED = """
中文：本结果由计票人在计票时签名（Ed25519）。签名与公钥见 signatures.json；核验签名：

    venv/bin/pip install {pynacl}
    venv/bin/python verify_signatures.py

输出 OK 且退出状态为 0 即表示 results.json 正是计票人所签的结果。请将其中的公钥与计票人开票前
收到的计票人单上印的公钥逐一核对。

English: the counting officers signed these results (Ed25519) when they counted. The
signatures and public keys are in signatures.json; to check them:

    venv/bin/pip install {pynacl}
    venv/bin/python verify_signatures.py

It prints OK and exits with status 0 when results.json is exactly what the officers signed.
Compare the public keys it prints with those on the officers' sheets, printed before voting.
"""

UNSIGNED = """
中文：本测评的票箱在结果签名功能上线前封存，结果未经计票人签名（unsigned）。
English: this campaign's ballot box was sealed before results were signed: its results are unsigned.
"""

DECISION_README = """\
{title_zh} / {title_en}
=====================================================================

中文
----
本压缩包是本次重大事项表决公开发布的全部结果数据，任何人都可以据此复核每一项议题的表决结果。

- answers.csv        每张表决票对每项议题的表决（每行一项：ballot,group,target,item,option；
                     option 为 agree 同意 / disagree 不同意 / abstain 弃权）。表决票顺序已随机打乱，
                     ballot 是新生成的随机编号，不能追溯到任何表决人或表决码。未表决的议题不出现。
- results.json       发布的表决结果（规范形式）；其 SHA-256 即公布的结果指纹：{sha}
- targets.csv        议题的代码与名称（results.json 中的 matter 即此代码）。
- receipts.txt       已计票表决票的回执列表（每张票一行，空白票也在内）。results.json 的 spoiled
                     是交回但被认定为废票或无效的纸质表决票张数：计入到会人数，不计为表决。
- recount.py         复核程序：按全体成员人数 N 重新计算每项议题的票数、法定人数与表决结果，并与
                     results.json 逐项比对（只需 Python 3.11 或更新版本，无需安装任何软件包）。
- signatures.json, verify_signatures.py  计票人的签名与核验程序（需要 PyNaCl）。

复核方法，在解压后的本文件夹中执行：

    python3 recount.py
    python3 -m venv venv
    venv/bin/pip install {pynacl}
    venv/bin/python verify_signatures.py

两个程序都输出 OK 即表示结果无误、未被改动。
需要的软件包：PyNaCl（仅用于核验签名）。

English
-------
This archive holds the published results of the decision meeting and everything needed to
check every matter's outcome.

- answers.csv        each ballot's vote on each matter, one per row (ballot,group,target,item,
                     option; option is agree, disagree or abstain). Ballots are shuffled and carry
                     fresh random ids: nothing links them to a member or a code. A matter left
                     blank has no row.
- results.json       the published tally in canonical form, whose SHA-256 is the published
                     fingerprint: {sha}
- targets.csv        the codes and names of the matters (results.json's "matter").
- receipts.txt       the receipts of the counted ballots, one per ballot, blank ones included.
                     results.json's "spoiled" counts paper sheets handed in and found spoiled or
                     invalid: present for the quorum, not a vote.
- recount.py         recounts every matter on N, all members of the body: votes, quorum and
                     outcome, compared with results.json (Python 3.11 or newer, no package).
- signatures.json, verify_signatures.py  the counting officers' signatures and their check
                     (needs PyNaCl).

To check, inside the unpacked folder:

    python3 recount.py
    python3 -m venv venv
    venv/bin/pip install {pynacl}
    venv/bin/python verify_signatures.py

Both print OK when the results are right and unchanged.
Packages needed: PyNaCl (for the signatures only).
"""

#: the bundle's own programs: the recount of a decision meeting and the signature check
SCRIPTS = Path(__file__).resolve().parent / "bundle_scripts"

#: the method document and the scoring package, as shipped with this platform
ROOT = Path(__file__).resolve().parents[2]
SCORING = Path(scoring.__file__).resolve().parent


def method_document() -> str:
    """docs/scoring-method.md (the scoring package carries a copy when installed from a wheel)."""
    for path in (ROOT / "docs" / "scoring-method.md", SCORING / "scoring-method.md"):
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise FileNotFoundError("docs/scoring-method.md is missing: the bundle would cite a document it lacks")


def targets_csv(campaign: Campaign) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["target", "kind", "name_zh", "name_en", "post_zh", "post_en"])
    for t in campaign.targets:
        writer.writerow([t.code, t.kind, t.name_zh, t.name_en, t.post_zh or "", t.post_en or ""])
    return out.getvalue()


def items_csv(method: dict) -> str | None:
    """items.csv: what each target-specific item asked (code, target, dimension, weight, its words), read
    from the published method, whose SHA-256 the signed results name; None when there is none."""
    specific = [item for item in method.get("items", ()) if item.get("target") is not None]
    if not specific:
        return None
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["code", "target", "dimension", "weight", "text_zh", "text_en"])
    for item in specific:
        text = item.get("text") or {}
        writer.writerow([item["code"], item["target"], item["dimension"], f"{float(item.get('weight', 1.0)):g}",
                         text.get("zh", ""), text.get("en", "")])
    return out.getvalue()


def answers_csv_parts(campaign: Campaign, rng: random.Random | None = None,
                      block: int = 5000) -> Iterator[str]:
    """answers.csv in parts: the campaign's rating answers with shuffled ballots and fresh ids.

    The fresh ids are handed out in the byte order of the stored ids, so trimming breaks
    ties exactly as it did for the published results; the stored ids are random already,
    so that order says nothing about respondents. A ballot's rows follow the questionnaire's
    order (the same for every ballot). Built from the packed matrix: one string operation
    per ballot, none per answer in Python (a city's bundle holds 24 million rows).
    """
    rng = rng or random.SystemRandom()
    coded = coded_answers(packed_ballots(campaign))
    n = len(coded["ballot_ids"])
    fresh: set[str] = set()
    while len(fresh) < n:
        fresh.add(secrets.token_hex(8))
    new_ids = sorted(fresh)
    targets, items, options = coded["target_codes"], coded["item_codes"], coded["option_codes"]
    import numpy as np  # where the arrays are: a web worker starts without numpy
    # Every possible ",target,item,option" line end, and each answer's index into them.
    ends = np.asarray([f",{t},{i},{o}\n" for t in targets.tolist() for i in items.tolist()
                       for o in options.tolist()], dtype=object)
    end_of = (coded["target"].astype(np.int64) * len(items) + coded["item"]) * len(options) + coded["option"]
    # Answers are grouped by ballot, in ballot order: where each ballot's rows start.
    starts = np.concatenate(([0], np.cumsum(np.bincount(coded["ballot"], minlength=n)))).tolist()
    groups = coded["group_codes"][coded["group_of_ballot"]].tolist()
    order = list(range(n))
    rng.shuffle(order)
    yield ",".join(COLUMNS) + "\n"
    for at in range(0, n, block):
        part = []
        for k in order[at:at + block]:
            head = f"{new_ids[k]},{groups[k]}"
            part.append(head + head.join(ends[end_of[starts[k]:starts[k + 1]]].tolist()))
        yield "".join(part)


def answers_csv(campaign: Campaign, rng: random.Random | None = None) -> str:
    return "".join(answers_csv_parts(campaign, rng))


def signatures_json(campaign: Campaign, sha256: str) -> dict | None:
    """What `verify_signatures.py` reads: the officers' public keys and signatures (None: unsigned)."""
    if not campaign.signatures_needed:
        return None
    return {"domain": signing.DOMAIN, "campaign": campaign.code, "results_sha256": sha256,
            "threshold": campaign.signatures_needed,
            "officers": [{"position": s.position, "name": s.name, "public_key": bytes(s.verify_key).hex(),
                          "signature": bytes(s.signature).hex() if s.signature else None}
                         for s in keys.signers(campaign)]}


def build(campaign: Campaign, method: dict | None, results: dict, sha256: str) -> bytes:
    """The zip bytes; `method` and `results` are exactly those frozen at publication (a
    decision meeting has no method: its rule is in recount.py and results.json)."""
    receipts = db.session.execute(select(Receipt.fingerprint).where(Receipt.campaign_id == campaign.id)
                                  .order_by(Receipt.fingerprint)).scalars().all()
    signed = signatures_json(campaign, sha256)
    if campaign.kind == "decision":
        readme = DECISION_README.format(title_zh=campaign.title_zh, title_en=campaign.title_en, sha=sha256,
                                        pynacl=signing_pin())
    else:
        pins = requirements()
        readme = README.format(title_zh=campaign.title_zh, title_en=campaign.title_en, sha=sha256,
                               requirements=" ".join(pins), packages_zh=" 和 ".join(SCORING_PACKAGES),
                               packages_en=" and ".join(SCORING_PACKAGES))
    readme += SIGNED.format(pynacl=signing_pin()) if signed else UNSIGNED
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        prefix = f"{campaign.code}/"
        z.writestr(prefix + "README.txt", readme)
        if campaign.kind != "decision":
            z.writestr(prefix + "requirements.txt", "".join(pin + "\n" for pin in requirements()))
        if signed:
            z.writestr(prefix + "signatures.json", json.dumps(signed, ensure_ascii=False, indent=2) + "\n")
            z.writestr(prefix + "verify_signatures.py", (SCRIPTS / "verify_signatures.py").read_bytes())
        with z.open(prefix + "answers.csv", "w", force_zip64=True) as answers:
            for part in answers_csv_parts(campaign):
                answers.write(part.encode("utf-8"))
        # The canonical bytes, so that `sha256sum results.json` prints the published hash.
        z.writestr(prefix + "results.json", canonical_json(results))
        z.writestr(prefix + "targets.csv", targets_csv(campaign))
        z.writestr(prefix + "receipts.txt", "".join(r + "\n" for r in receipts))
        if campaign.kind == "decision":
            z.writestr(prefix + "recount.py", (SCRIPTS / "recount.py").read_bytes())
            return _closed(z, out)
        # The method's bytes are its canonical dump, so `python -m scoring` names the same sha256.
        z.writestr(prefix + "method.json", canonical_json(method))
        specific = items_csv(method)
        if specific is not None:
            z.writestr(prefix + "items.csv", specific)
        z.writestr(prefix + "scoring-method.md", method_document())
        for source in sorted(SCORING.glob("*.py")):
            z.writestr(prefix + "scoring/" + source.name, source.read_bytes())
    return out.getvalue()


def _closed(z: zipfile.ZipFile, out: io.BytesIO) -> bytes:
    z.close()
    return out.getvalue()
