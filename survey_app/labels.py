"""One place that words the platform's stable codes for people: audit actions and their
details, item types, statuses, roles, appraisal and target kinds, grades and alerts. Code and
data keep the codes; pages call `label(kind, code)`,
which falls back to the code itself only for a code nobody has named yet."""
from functools import partial

from flask_babel import lazy_gettext as _l

LABELS: dict[str, dict[str, object]] = {
    "item_type": {"rating": _l("Rating"), "single": _l("Single choice"), "multiple": _l("Multiple choice"),
                  "text": _l("Free text")},
    "action": {
        "campaign.close": _l("Campaign closed"), "campaign.count": _l("Ballots counted"),
        "campaign.create": _l("Campaign created"), "meeting.create": _l("Decision meeting set up"),
        "meeting.edit": _l("Decision meeting edited"), "campaign.edit": _l("Campaign edited"),
        "campaign.open": _l("Campaign opened"), "campaign.publish": _l("Results published"),
        "campaign.targets": _l("Targets chosen"), "campaign.copy": _l("Set-up copied"),
        "codes.issue": _l("Access codes issued"), "codes.revoke": _l("Access codes withdrawn"),
        "comment.moderate": _l("Comment moderated"), "comment.moderate_bulk": _l("Comments moderated"),
        "demo.load": _l("Demo loaded"),
        "group.create": _l("Group added"), "group.update": _l("Group edited"),
        "paper.entry": _l("Paper sheet keyed"), "paper.import": _l("Paper answers imported"),
        "paper.match": _l("Paper entries match"), "paper.mismatch": _l("Paper entries differ"),
        "paper.print": _l("Paper sheets printed"), "paper.reprint": _l("Paper sheets downloaded again"),
        "paper.rules": _l("Paper rules set"), "paper.third_check": _l("Paper sheet third check"),
        "questionnaire.draft": _l("Questionnaire draft started"), "questionnaire.edit": _l("Questionnaire edited"),
        "questionnaire.publish": _l("Questionnaire published"), "questionnaire.save": _l("Questionnaire saved"),
        "questionnaire.start": _l("Questionnaire started"), "target.report": _l("Report of a target edited"),
        "targets.import": _l("Targets imported"),
        "user.activate": _l("Account activated"), "user.create": _l("Account created"),
        "user.deactivate": _l("Account deactivated"),
        "user.locked": _l("Account locked"), "user.login": _l("Logged in"), "user.logout": _l("Logged out"),
        "user.password": _l("Password changed"), "user.reset_password": _l("Temporary password set"),
        "user.update": _l("Account edited"), "campaign.reshare": _l("Counting officers changed"),
        "database.moved": _l("Database moved to another server"),
        "commitment.create": _l("Commitment entered"), "commitment.edit": _l("Commitment edited"),
        "commitment.submit": _l("Commitment submitted for approval"),
        "commitment.publish": _l("Commitment published"), "commitment.send_back": _l("Commitment sent back"),
        "commitment.status": _l("Commitment status changed"), "commitments.import": _l("Commitments imported"),
        "progress.add": _l("Progress reported"), "progress.review": _l("Progress reviewed"),
        "rectification.create": _l("Rectification problem recorded"),
        "rectification.plan": _l("Rectification plan edited"),
        "rectification.submit": _l("Rectification plan submitted"),
        "rectification.approve": _l("Rectification plan approved"),
        "rectification.send_back": _l("Rectification plan sent back"),
        "rectification.progress": _l("Rectification progress reported"),
        "rectification.review": _l("Rectification progress reviewed"),
        "rectification.ask_check": _l("Closing check asked for"),
        "rectification.check": _l("Closing check recorded"),
        "rectification.public": _l("Public ledger chosen"),
        "rectification.review_campaign": _l("Review of the rectification set up"),
        "case.open": _l("Alert case opened"), "case.reminder_talk": _l("Reminder talk recorded"),
        "case.letter": _l("Letter of inquiry sent"), "case.admonishing_talk": _l("Admonishing talk recorded"),
        "case.reply": _l("Letter of inquiry answered"), "case.self_correction": _l("Self-correction report filed"),
        "case.close": _l("Alert case closed"),
    },
    "detail": {
        "code": _l("code"), "campaign": _l("campaign"), "targets": _l("targets"), "target": _l("target"),
        "actor": _l("by"), "sheet": _l("sheet"), "outcome": _l("outcome"), "group": _l("group"),
        "count": _l("number"), "status": _l("status"), "role": _l("role"), "results_sha256": _l("results hash"),
        "pdf": _l("PDF"), "members": _l("members"), "quorum": _l("quorum"), "version": _l("version"),
        "number": _l("number"), "n": _l("number"), "ballots": _l("ballots"), "username": _l("user"),
        "from": _l("copied from"), "created": _l("created"), "updated": _l("updated"),
        "kind": _l("kind"), "questionnaire_version": _l("questionnaire version"), "weight": _l("weight"),
        "access": _l("way of answering"), "before": _l("before"), "after": _l("after"),
        "panel": _l("counting officers"), "by": _l("by"), "accounts": _l("accounts"), "groups": _l("groups"),
        "campaigns": _l("campaigns"), "campaigns_before": _l("campaigns before"), "batch": _l("batch"),
        "envelopes": _l("envelopes"), "officers": _l("counting officers"), "threshold": _l("officers needed"),
        "position": _l("position"), "name": _l("name"), "user": _l("account"), "expected": _l("expected"),
        "max_blank_share": _l("most blank sheets allowed"), "first": _l("first sheet"), "last": _l("last sheet"),
        "times": _l("times"), "file_sha256": _l("file hash"), "slot": _l("entry"), "published": _l("published"),
        "new_version": _l("new version"), "copied_from": _l("copied from"),
        "source": _l("moved from"), "rows": _l("rows"),
        "commitment": _l("commitment"), "fields": _l("fields"), "note": _l("note"), "reason": _l("reason"),
        "state": _l("state"), "on": _l("date"), "attachment": _l("attachment"), "previous": _l("before"),
        "public_key": _l("public signing key"),
        "origin": _l("rests on"), "rectification": _l("rectification item"),
        "level": _l("alert"), "step": _l("entry"), "due": _l("reply due"), "letter": _l("letter"),
        "opened": _l("opened from"), "case_outcome": _l("outcome"),
    },
    #: what an audit entry is about: "group:12" reads "group 12"
    "subject": {"campaign": _l("campaign"), "campaign_target": _l("target of a campaign"),
                "comment": _l("comment"), "file": _l("file"), "group": _l("group"),
                "paper_batch": _l("batch of paper sheets"), "paper_sheet": _l("paper sheet"),
                "questionnaire": _l("questionnaire"), "user": _l("account"),
                "commitment": _l("commitment"), "commitments": _l("commitments"), "progress": _l("progress entry"),
                "rectification": _l("rectification item"),
                "rectification_progress": _l("rectification progress entry"),
                "case": _l("alert case")},
    "access": {"code": _l("Access codes"), "public": _l("Public link")},
    "status": {"draft": _l("Draft"), "open": _l("In progress"), "closed": _l("Closed"),
               "published": _l("Published"), "pending": _l("Pending"), "hidden": _l("Hidden"),
               "ballot": _l("Ballot"), "blank": _l("Blank"), "invalid": _l("Invalid"), "spoiled": _l("Spoiled"),
               "waiting": _l("Waiting for the second entry"), "mismatch": _l("Waiting for a third check"),
               "submitted": _l("Waiting for approval"), "approved": _l("Approved"), "rejected": _l("Rejected"),
               "check_requested": _l("Closing check asked for"), "not_accepted": _l("Not accepted")},
    "role": {"admin": _l("Administrator"), "staff": _l("Commission staff"), "clerk": _l("Clerk"),
             "leader": _l("Leader or unit"), "auditor": _l("Auditor"), "officer": _l("Counting officer")},
    #: appraisal kinds of campaigns and questionnaires, in the order forms offer them
    "kind": {"work_style": _l("Work-style appraisal"), "sector_style": _l("Sector-style appraisal"),
             "integrity_report": _l("Integrity-report evaluation"),
             "integrity_assessment": _l("Integrity assessment"), "decision": _l("Decision meeting"),
             "public_rating": _l("Public rating of commitments")},
    "target_kind": {"leader": _l("Leader"), "unit": _l("Unit"), "matter": _l("Matter put to a vote")},
    #: a decision meeting's matters and quorums (`models.campaign.MATTER_KINDS`, `QUORUMS`) and outcomes
    "matter_kind": {"ordinary": _l("Ordinary matter"), "especially_major": _l("Especially major matter"),
                    "personnel": _l("Personnel matter")},
    "quorum": {"more_than_half": _l("More than half of the members"), "two_thirds": _l("Two thirds of the members"),
               "three_quarters": _l("Three quarters of the members"), "all": _l("All members")},
    "outcome": {"passed": _l("Passed"), "not_passed": _l("Not passed"), "not_decided": _l("Not decided (no quorum)")},
    #: the engine's grade and alert codes
    "grade": {"excellent": _l("Excellent"), "good": _l("Good"), "fair": _l("Fair"), "poor": _l("Poor")},
    "alert": {"warning": _l("Warning"), "prevention": _l("Prevention"), "none": _l("None")},
    #: why a scored target is left out of the ranking (the engine's `unranked`)
    "unranked": {"no_reference": _l("not ranked: a weighted group had too few responses and too few "
                                    "other targets have that group to adjust for it")},
    #: where a target lies in the funnel plot (the engine's `funnel`)
    "funnel": {"above_998": _l("above the upper limit (99.8%)"), "above_95": _l("above the upper limit (95%)"),
               "within": _l("within the limits"), "below_95": _l("below the lower limit (95%)"),
               "below_998": _l("below the lower limit (99.8%)")},
    #: public commitments (亮诺 · 践诺)
    "commitment_category": {"economy": _l("Economic development"), "livelihood": _l("People's livelihood"),
                            "environment": _l("Environment"), "governance": _l("Governance and services"),
                            "integrity": _l("Integrity"), "other": _l("Other")},
    "commitment_status": {"in_progress": _l("In progress"), "kept": _l("Kept"), "stalled": _l("Stalled"),
                          "broken": _l("Broken"), "withdrawn": _l("Withdrawn")},
    "commitment_state": {"draft": _l("Draft"), "submitted": _l("Waiting for approval"),
                         "published": _l("Published")},
    "progress_review": {"pending": _l("Waiting for review"), "approved": _l("Reviewed"),
                        "rejected": _l("Rejected")},
    "commitment_flag": {"overdue": _l("Past its deadline"), "stale": _l("No progress reported for a long time")},
    #: the rectification ledger (整改台账): where a problem comes from, its plan and its closing check
    "rectification_source": {"dimension": _l("Low dimension"), "item": _l("Low item"),
                             "comment": _l("Published comment"), "finding": _l("The commission's finding")},
    "plan_state": {"draft": _l("Plan drafted"), "submitted": _l("Plan waiting for approval"),
                   "approved": _l("Plan approved")},
    "rectification_status": {"open": _l("Being rectified"), "check_requested": _l("Closing check asked for"),
                             "closed": _l("Rectified and closed"), "not_accepted": _l("Not accepted")},
    # Group codes that the platform gives itself (a decision meeting's one group,
    # meetings.operations.MEMBERS_GROUP); the codes staff choose are shown as they are.
    "group": {"members": _l("Voting members")},
    #: the follow-up of alerts (预防 · 警示)
    "case_step": {"reminder_talk": _l("Reminder talk"), "letter": _l("Letter of inquiry"),
                  "admonishing_talk": _l("Admonishing talk"), "reply": _l("Reply to a letter"),
                  "self_correction": _l("Self-correction report")},
    "case_status": {"open": _l("Open"), "closed": _l("Closed")},
    "case_outcome": {"corrected": _l("Corrected"), "watch": _l("Kept under watch"),
                     "referred": _l("Referred to the commission's case system"), "unfounded": _l("No action needed")},
    "case_source": {"publication": _l("Published results"), "manual": _l("Opened by hand")},
    "case_flag": {"overdue": _l("Reply overdue")},
}


def published_grade(entry: dict | None) -> str:
    """The grade as published, with its doubt (rule G): "Good", or "Good–Excellent" when the
    score's 95% interval crosses a grade boundary; "" without a grade."""
    if not entry or not entry.get("grade"):
        return ""
    low, high = entry.get("grade_range") or (None, None)
    if entry.get("grade_status") == "borderline" and low and high:
        return f"{label('grade', low)}–{label('grade', high)}"
    return label("grade", entry["grade"])


def published_alert(entry: dict | None) -> str:
    """The alert as published, with its doubt (rule G): "Prevention", or "None (borderline:
    Prevention?)" when the dissatisfaction interval crosses a threshold; "" without an alert."""
    if not entry or not entry.get("alert"):
        return ""
    alert = entry["alert"]
    words = label("alert", alert)
    low, high = entry.get("alert_range") or (None, None)
    if entry.get("alert_status") == "borderline" and low and high:
        other = high if high != alert else low
        return str(_l("%(alert)s (borderline: %(other)s?)", alert=words, other=label("alert", other)))
    return words


def adjustment_note(entry: dict | None) -> str:
    """A reweighted target's mark in words: which way and how far rule R moved its score."""
    if not entry or not entry.get("reweighted"):
        return ""
    if entry.get("unranked"):
        return label("unranked", entry["unranked"])
    adjustment = entry.get("adjustment")
    if adjustment is None:
        return ""
    if not adjustment:
        return str(_l("scored without a weighted group that had too few responses; too few other targets "
                      "have that group either, so the score is not adjusted for it"))
    return str(_l("scored without a weighted group that had too few responses; adjusted by %(points)s "
                  "points for it", points=f"{adjustment:+.1f}"))


def in_language(locale: str, zh: str, en: str) -> str:
    """The English words on an English page, the Chinese ones on any other."""
    return en if locale.startswith("en") else zh


def label(kind: str, code, missing: str | None = None) -> str:
    """The words for `code` among the codes of `kind`; True / False as yes / no. A code without
    words gives `missing` when one is given, else the code itself ("—" for none)."""
    if isinstance(code, bool):
        return str(_l("yes") if code else _l("no"))
    found = LABELS.get(kind, {}).get(code) if isinstance(code, str) else None
    if found is not None:
        return str(found)
    if missing is not None:
        return missing
    return "—" if code is None else str(code)


#: the details whose values are codes with words of their own (a username is never one of them)
_WORDED = {"status": "status", "outcome": "status", "role": "role", "kind": "kind", "access": "access",
           "before": "status", "after": "status", "state": "status", "previous": "status", "group": "group",
           "level": "alert", "opened": "case_source", "case_outcome": "case_outcome"}


def _value(value, key: str | None = None) -> str:
    """One value of an audit entry in words: nested records as "name: value; …", lists joined,
    yes / no, none as a dash, and the codes of a worded detail (status, role, kind…) in words."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return label("detail", value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return "; ".join(f"{label('detail', k)}: {_value(v, k)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(f"({_value(v, key)})" if isinstance(v, dict) else _value(v, key) for v in value) or "—"
    if isinstance(value, str) and key in _WORDED:
        return label(_WORDED[key], value)
    return str(value)


def audit_details(details: dict | None) -> list[tuple[str, str]]:
    """An audit entry's details as (what, words) lines: a change as "before → after" per field
    that changed, never a raw dictionary."""
    details = dict(details or {})
    lines = []
    before, after = details.pop("before", None), details.pop("after", None)
    if isinstance(before, dict) and isinstance(after, dict):
        for key in dict.fromkeys([*before, *after]):
            if before.get(key) != after.get(key):
                lines.append((label("detail", key), f"{_value(before.get(key), key)} → {_value(after.get(key), key)}"))
    elif before is not None or after is not None:
        lines.append((f"{label('detail', 'before')} → {label('detail', 'after')}",
                      f"{_value(before, 'before')} → {_value(after, 'after')}"))
    lines[:0] = [(label("detail", key), _value(value, key)) for key, value in details.items()]
    return lines


def audit_subject(subject: str | None) -> str:
    """What an audit entry is about, in words: "group:12" reads "group 12"."""
    kind, _, ident = (subject or "").partition(":")
    if not ident:
        return subject or "—"
    return f"{label('subject', kind)} {ident}"


def init_app(app) -> None:
    app.add_template_global(audit_details, "audit_details")
    app.add_template_global(audit_subject, "audit_subject")
    app.add_template_global(label, "label")
    app.add_template_global(published_grade, "published_grade")
    app.add_template_global(published_alert, "published_alert")
    app.add_template_global(adjustment_note, "adjustment_note")
    app.add_template_global(in_language, "in_language")
    app.add_template_global(partial(label, "kind"), "kind_label")
    app.add_template_global(partial(label, "role"), "role_label")
