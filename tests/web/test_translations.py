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


def source_ids(root: Path, out: Path) -> set[tuple]:
    """(context, msgid) of every string marked for translation under `root`, extracted as
    `make extract-messages` does: from the root, so that babel.cfg's paths (survey_app/**)
    match. The patterns are relative to the directory extracted from."""
    pot = out / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(ROOT / "babel.cfg"),
                    "-k", "_l", "-k", "lazy_gettext", "-k", "lazy_pgettext:1c,2", "-o", str(pot), "."],
                   check=True, capture_output=True, cwd=root)
    with open(pot, "rb") as fh:
        # with its context: one English word may stand for two things (a paper ballot's "Sheet",
        # a counting officer's instruction "Sheet"), each with its own translation
        return {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in read_po(fh) if m.id}


def missing_from_catalogs(ids: set[tuple]) -> list[tuple]:
    """The ids that one of the two catalogs lacks."""
    missing = set()
    for locale in ("zh_Hans_CN", "en"):
        have = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in catalog(locale) if m.id}
        missing |= ids - have
    return sorted(missing, key=lambda x: (x[0] or "", x[1]))


def test_every_source_string_is_in_the_catalog(tmp_path):
    ids = source_ids(ROOT, tmp_path)
    # the extraction finds the app's strings, Python and templates (it once matched no file at all)
    assert len(ids) > 1000 and (None, "Audit log") in ids and (None, "Access codes") in ids, len(ids)
    missing = missing_from_catalogs(ids)
    assert not missing, f"{len(missing)} strings not in both catalogs (append them to each): {missing[:20]}"


def test_the_catalog_check_finds_an_untranslated_string(tmp_path):
    """The check above fails on a string in Python, in a template or with a context that no catalog has."""
    app = tmp_path / "tree" / "survey_app"
    (app / "templates").mkdir(parents=True)
    (app / "probe.py").write_text('from flask_babel import lazy_gettext as _l, lazy_pgettext\n'
                                  'A = _l("A sentence that no catalog has, 4f1c")\n'
                                  'B = _l("Audit log")\n'
                                  'C = lazy_pgettext("a probe", "Audit log")\n', encoding="utf-8")
    (app / "templates" / "probe.html").write_text("<p>{{ _('A template sentence that no catalog has, 9b2e') }}</p>",
                                                  encoding="utf-8")
    ids = source_ids(tmp_path / "tree", tmp_path)
    assert missing_from_catalogs(ids) == [(None, "A sentence that no catalog has, 4f1c"),
                                          (None, "A template sentence that no catalog has, 9b2e"),
                                          ("a probe", "Audit log")]


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
