"""The open results bundle: everything anyone needs to recompute a published campaign.

A zip of answers.csv (ballots shuffled, fresh random ids), method.json (the exact method
of publication), results.json (the frozen results), receipts.txt and a bilingual README.
"""
import csv
import io
import json
import random
import secrets
import zipfile

from scoring.method import canonical_bytes
from sqlalchemy import select

from ..extensions import db
from ..models import Campaign, Receipt
from ..results import answer_columns

README = """\
{title_zh} / {title_en}
=====================================================================

中文
----
本压缩包是本次测评公开发布的全部结果数据，任何人都可以据此复核每一个公布的数字。

- answers.csv   全部有效选票中评分题的作答（每行一个回答：ballot,group,target,item,option）。
                选票顺序已随机打乱，ballot 是新生成的随机编号，与数据库中的编号无关，
                不能追溯到任何个人、测评码、时间或设备。
- method.json   发布时使用的计分方法（权重、计分、分组最少人数、等次、预警阈值）。
- results.json  发布的结果（SHA-256：{sha}）。
- receipts.txt  已计票选票的回执列表（已排序），可核对自己的选票是否被计入。

复核方法（需要 Python 3.11 及本平台的 scoring 包）：

    python -m scoring answers.csv method.json -o recomputed.json

recomputed.json 中的数字应与 results.json 完全一致。计分方法详见 scoring-method.md。

English
-------
This archive holds the published results of the campaign and everything needed to check
every published number.

- answers.csv   the answers to the rating items of every counted ballot, one answer per
                row (ballot,group,target,item,option). Ballots are shuffled and carry fresh
                random ids, unrelated to the database: nothing links them to a person, an
                access code, a time or a device.
- method.json   the scoring method used at publication (weights, points, minimum group
                size, grades, alert thresholds).
- results.json  the published results (SHA-256: {sha}).
- receipts.txt  the sorted receipts of the counted ballots: check that yours is there.

To recompute (Python 3.11 with this platform's scoring package):

    python -m scoring answers.csv method.json -o recomputed.json

The numbers in recomputed.json equal those in results.json. The method is described in
scoring-method.md.
"""


def answers_csv(campaign: Campaign, rng: random.Random | None = None) -> str:
    """The campaign's rating answers with shuffled ballots and fresh ids.

    The fresh ids are handed out in the byte order of the stored ids, so trimming breaks
    ties exactly as it did for the published results; the stored ids are random already,
    so that order says nothing about respondents.
    """
    rng = rng or random.SystemRandom()
    columns = answer_columns(campaign)
    by_ballot: dict[str, list[tuple]] = {}
    for ballot, group, target, item, option in zip(columns["ballot"], columns["group"], columns["target"],
                                                   columns["item"], columns["option"]):
        by_ballot.setdefault(ballot, []).append((group, target, item, option))
    old_ids = sorted(by_ballot)
    fresh: set[str] = set()
    while len(fresh) < len(old_ids):
        fresh.add(secrets.token_hex(8))
    new_id = dict(zip(old_ids, sorted(fresh)))
    order = list(old_ids)
    rng.shuffle(order)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["ballot", "group", "target", "item", "option"])
    for ballot in order:
        rows = by_ballot[ballot]
        rng.shuffle(rows)
        for group, target, item, option in rows:
            writer.writerow([new_id[ballot], group, target, item, option or ""])
    return out.getvalue()


def build(campaign: Campaign, method: dict, results: dict, sha256: str) -> bytes:
    """The zip bytes; `method` and `results` are exactly those frozen at publication."""
    receipts = db.session.execute(select(Receipt.fingerprint).where(Receipt.campaign_id == campaign.id)
                                  .order_by(Receipt.fingerprint)).scalars().all()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        prefix = f"{campaign.code}/"
        z.writestr(prefix + "README.txt", README.format(title_zh=campaign.title_zh, title_en=campaign.title_en,
                                                         sha=sha256))
        z.writestr(prefix + "answers.csv", answers_csv(campaign))
        # The method's bytes are its canonical dump, so `python -m scoring` names the same sha256.
        z.writestr(prefix + "method.json", canonical_bytes(method))
        z.writestr(prefix + "results.json", json.dumps(results, ensure_ascii=False, indent=1))
        z.writestr(prefix + "receipts.txt", "".join(r + "\n" for r in receipts))
    return out.getvalue()
