"""Questionnaires and their versions, for the web and the CLI alike: saved from a file, started,
edited, published, copied into a new draft, and written out as YAML.

A draft lives in ``QuestionnaireVersion.definition`` (``questionnaires.to_dict``). The designer's
pages build a changed copy of that dictionary and call :func:`apply`, which validates it with
``questionnaires.from_dict`` first, so nothing invalid is ever saved. A published version never
changes: editing it stores the edit as a new draft version.
"""
from __future__ import annotations

import copy

import questionnaires
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .. import audit
from ..extensions import db
from ..models import Ballot, Campaign, Questionnaire, QuestionnaireVersion
from ..models._types import utcnow


class DesignerError(Exception):
    """An edit the version's state does not allow; the message says why."""


def blank(code: str) -> dict:
    """The smallest useful questionnaire: one dimension, one section, one rating item and the
    usual 满意/基本满意/不满意/不了解 scale."""
    return {
        "format": questionnaires.FORMAT_VERSION, "code": code, "kind": "sector_style",
        "title": {"zh": "新问卷", "en": "New questionnaire"},
        "intro": {"zh": "请根据您的亲身感受作答。", "en": "Please answer from your own experience."},
        "closing": {"zh": "感谢您的参与！", "en": "Thank you for taking part."},
        "scale": {"options": [
            {"code": "A", "label": {"zh": "满意", "en": "Satisfied"}, "points": 100},
            {"code": "B", "label": {"zh": "基本满意", "en": "Basically satisfied"}, "points": 70},
            {"code": "C", "label": {"zh": "不满意", "en": "Dissatisfied"}, "points": 40},
            {"code": "DK", "label": {"zh": "不了解", "en": "Don't know"}, "points": None}],
            "satisfied": ["A", "B"], "dissatisfied": ["C"]},
        "dimensions": [{"code": "overall", "name": {"zh": "总体评价", "en": "Overall"}, "weight": 1}],
        "sections": [{"code": "s1", "title": {"zh": "评议内容", "en": "Appraisal"}, "items": [
            {"code": "q01", "type": "rating", "dimension": "overall", "weight": 1, "required": True,
             "per_target": True, "text": {"zh": "总体评价", "en": "Overall evaluation"}}]}],
    }


def starting_definition(source: str, code: str, *, kind: str | None = None,
                        version: QuestionnaireVersion | None = None) -> dict:
    """The definition a new questionnaire starts from: a built-in template, a copy or blank."""
    if source == "template":
        definition = questionnaires.to_dict(questionnaires.template(kind))
    elif source == "copy":
        definition = copy.deepcopy(version.definition)
    else:
        definition = blank(code)
    definition["code"] = code
    return definition


def all_questionnaires() -> list[Questionnaire]:
    return db.session.execute(select(Questionnaire).order_by(Questionnaire.code)).scalars().all()


def by_code(code: str) -> Questionnaire | None:
    return db.session.execute(select(Questionnaire).where(Questionnaire.code == code)).scalar_one_or_none()


def code_taken(code: str, record: Questionnaire | None = None) -> bool:
    other = by_code(code)
    return other is not None and other is not record


def _freeze(version: QuestionnaireVersion) -> None:
    version.status, version.published_at = "published", utcnow()


def save_questionnaire(q: questionnaires.Questionnaire, publish: bool = False) -> QuestionnaireVersion:
    """Store a validated questionnaire (a file, a template) as a new version: it overwrites the
    latest version while that is a draft, else comes after it; `publish` freezes it at once."""
    record = by_code(q.code)
    if record is None:
        record = Questionnaire(code=q.code, kind=q.kind)
        db.session.add(record)
        db.session.flush()
    latest = record.latest
    if latest is not None and not latest.frozen:
        version = latest
        version.definition = questionnaires.to_dict(q)
    else:
        version = QuestionnaireVersion(questionnaire=record, number=(latest.number + 1 if latest else 1),
                                       definition=questionnaires.to_dict(q))
        db.session.add(version)
    record.kind = q.kind
    if publish:
        _freeze(version)
    db.session.flush()
    audit.record("questionnaire.save", f"questionnaire:{record.id}", code=q.code, version=version.number,
                 published=publish)
    db.session.commit()
    return version


def publish_version(version: QuestionnaireVersion) -> None:
    """Freeze a draft for ever (a published version stays as it is)."""
    if version.frozen:
        return
    _freeze(version)
    audit.record("questionnaire.publish", f"questionnaire:{version.questionnaire_id}",
                 version=version.number)
    db.session.commit()


def export_yaml(version: QuestionnaireVersion) -> tuple[str, str]:
    """The version as a YAML file to download: (file name, text)."""
    return f"{version.questionnaire.code}-v{version.number}.yaml", questionnaires.dump(version.parsed)


def start(definition: dict) -> QuestionnaireVersion:
    """Create a questionnaire whose first version is a draft holding ``definition``."""
    q = questionnaires.from_dict(definition)
    if code_taken(q.code):
        raise DesignerError(_l("A questionnaire with the code %(code)s exists already.", code=q.code))
    record = Questionnaire(code=q.code, kind=q.kind)
    version = QuestionnaireVersion(questionnaire=record, number=1, definition=questionnaires.to_dict(q))
    db.session.add_all([record, version])
    db.session.flush()
    audit.record("questionnaire.start", f"questionnaire:{record.id}", code=q.code, version=1)
    db.session.commit()
    return version


def apply(version: QuestionnaireVersion, definition: dict) -> QuestionnaireVersion:
    """Store an edited definition; returns the version that now holds it.

    Raises ``questionnaires.QuestionnaireInvalid`` (nothing changed) when the definition is
    invalid, and :class:`DesignerError` for an edit of an old published version or a code that
    can no longer change. A draft is overwritten; the latest published version gets a new
    draft version after it.
    """
    q = questionnaires.from_dict(definition)
    record = version.questionnaire
    if q.code != record.code:
        if record.published_versions:
            raise DesignerError(_l("The code cannot change once a version is published."))
        if code_taken(q.code, record):
            raise DesignerError(_l("A questionnaire with the code %(code)s exists already.", code=q.code))
        record.code = q.code
    target = version
    if version.frozen:
        latest = record.latest
        if latest is not version:
            raise DesignerError(_l("Version %(n)d is newer: edit that one.", n=latest.number))
        target = QuestionnaireVersion(questionnaire=record, number=version.number + 1)
        db.session.add(target)
    stored = questionnaires.to_dict(q)
    if target is version and stored == version.definition:
        return version
    target.definition = stored
    record.kind = q.kind
    db.session.flush()
    audit.record("questionnaire.edit", f"questionnaire:{record.id}", code=q.code, version=target.number,
                 new_version=target is not version)
    db.session.commit()
    return target


def new_draft(version: QuestionnaireVersion) -> QuestionnaireVersion:
    """A draft copy of a published version (or the version itself when it is a draft)."""
    if not version.frozen:
        return version
    latest = version.questionnaire.latest
    if not latest.frozen:
        return latest
    if latest is not version:
        raise DesignerError(_l("Version %(n)d is newer: edit that one.", n=latest.number))
    draft = QuestionnaireVersion(questionnaire=version.questionnaire, number=version.number + 1,
                                 definition=copy.deepcopy(version.definition))
    db.session.add(draft)
    db.session.flush()
    audit.record("questionnaire.draft", f"questionnaire:{version.questionnaire_id}", version=draft.number,
                 copied_from=version.number)
    db.session.commit()
    return draft


def campaigns_by_version(record: Questionnaire) -> dict[int, list[Campaign]]:
    """The campaigns that pin each version of the questionnaire."""
    ids = [v.id for v in record.versions]
    found: dict[int, list[Campaign]] = {i: [] for i in ids}
    if ids:
        for campaign in db.session.execute(select(Campaign).where(Campaign.questionnaire_version_id.in_(ids))
                                           .order_by(Campaign.code)).scalars():
            found[campaign.questionnaire_version_id].append(campaign)
    return found


def ballot_counts(record: Questionnaire) -> dict[int, int]:
    """How many opened ballots answered each version."""
    ids = [v.id for v in record.versions]
    if not ids:
        return {}
    rows = db.session.execute(select(Ballot.questionnaire_version_id, func.count()).where(
        Ballot.questionnaire_version_id.in_(ids)).group_by(Ballot.questionnaire_version_id)).all()
    return dict(rows)


# -- building changed definitions (pure dictionary work) -------------------------------------------

def find_section(definition: dict, code: str) -> int | None:
    return next((i for i, s in enumerate(definition["sections"]) if s.get("code") == code), None)


def find_item(definition: dict, code: str) -> tuple[int, int] | None:
    for s, section in enumerate(definition["sections"]):
        for i, item in enumerate(section.get("items", [])):
            if item.get("code") == code:
                return s, i
    return None


def moved(entries: list, index: int, direction: str) -> list:
    """A copy of ``entries`` with entry ``index`` moved one place up or down (unchanged at an end)."""
    entries = list(entries)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= index < len(entries) and 0 <= other < len(entries):
        entries[index], entries[other] = entries[other], entries[index]
    return entries


def move_item(definition: dict, code: str, direction: str) -> dict:
    """Move an item within its section, or across into the neighbouring section at an end."""
    new = copy.deepcopy(definition)
    s, i = find_item(new, code)
    sections = new["sections"]
    items = sections[s]["items"]
    if direction == "up" and i == 0 and s > 0:
        sections[s - 1].setdefault("items", []).append(items.pop(i))
    elif direction == "down" and i == len(items) - 1 and s < len(sections) - 1:
        sections[s + 1].setdefault("items", []).insert(0, items.pop(i))
    else:
        sections[s]["items"] = moved(items, i, direction)
    return new


def move_section(definition: dict, code: str, direction: str) -> dict:
    new = copy.deepcopy(definition)
    new["sections"] = moved(new["sections"], find_section(new, code), direction)
    return new


def delete_item(definition: dict, code: str) -> dict:
    new = copy.deepcopy(definition)
    s, i = find_item(new, code)
    del new["sections"][s]["items"][i]
    return new


def delete_section(definition: dict, code: str) -> dict:
    new = copy.deepcopy(definition)
    del new["sections"][find_section(new, code)]
    return new
