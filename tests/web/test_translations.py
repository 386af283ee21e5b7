"""The catalogs: every string in the code is in the zh_CN catalog, translated, with its placeholders."""
import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%%|\{[a-z]\}")


def catalog(locale):
    with open(ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh)


def test_every_source_string_is_in_the_catalog(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(ROOT / "babel.cfg"),
                    "-k", "_l", "-k", "lazy_gettext", "-k", "lazy_pgettext:1c,2", "-o", str(pot), str(ROOT / "survey_app")],
                   check=True, capture_output=True, cwd=ROOT)
    with open(pot, "rb") as fh:
        # with its context: one English word may stand for two things (a paper ballot's "Sheet",
        # a counting officer's instruction "Sheet"), each with its own translation
        source_ids = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in read_po(fh) if m.id}
    zh_ids = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in catalog("zh_Hans_CN") if m.id}
    missing = sorted(source_ids - zh_ids)
    assert not missing, f"{len(missing)} strings not in the catalog (run `make extract-messages`): {missing[:5]}"


def test_chinese_is_complete_and_keeps_placeholders():
    problems = []
    for message in catalog("zh_Hans_CN"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(f"untranslated: {ids[0]!r}")
            continue
        wanted = set(PLACEHOLDER.findall(ids[-1])) | set(PLACEHOLDER.findall(ids[0]))
        for string in strings:
            if set(PLACEHOLDER.findall(string)) - wanted or (set(PLACEHOLDER.findall(ids[0])) - {"%(num)d"}) - set(PLACEHOLDER.findall(string)):
                problems.append(f"placeholders differ: {ids[0]!r} -> {string!r}")
    assert not problems, "\n".join(problems[:20])
