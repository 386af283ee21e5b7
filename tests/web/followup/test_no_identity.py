"""Nothing of a ballot reaches a case but the published, aggregated figures: the stored rows of the
cases and their steps hold no access code (plain or hashed), receipt, envelope or ballot id, raw
answer, unmoderated comment or group-level figure of the campaign that opened them."""
import json
from datetime import date

from sqlalchemy import inspect, select

from survey_app.extensions import db


def _rows(table) -> list[dict]:
    return [dict(row._mapping) for row in db.session.execute(select(table))]


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.hex()
    return json.dumps(value, default=str, ensure_ascii=False)


def test_a_case_holds_aggregated_published_figures_only(app, alert_world):
    from survey_app.followup import operations
    from survey_app.models import (AccessCode, AlertCase, Ballot, CaseStep, Comment, Envelope, InboxEnvelope,
                                   Receipt)
    from survey_app.models.followup import BASIS_KEYS
    with app.app_context():
        case = db.session.execute(select(AlertCase).where(AlertCase.level == "warning")).scalar_one()
        letter = operations.add_step(case, "letter", on=date(2026, 11, 6), actor="staff", text="请说明")
        operations.add_step(case, "reply", on=date(2026, 11, 9), actor="leader-1", text="已说明", answers=letter)

        # what the ballot box holds: none of it may appear in a case's row
        secrets = set(alert_world["codes"]) | set(alert_world["receipts"])
        for model, columns in ((AccessCode, ("code_hash",)), (Receipt, ("fingerprint",)),
                               (Envelope, ("id", "receipt", "sealed")), (InboxEnvelope, ("id", "receipt", "sealed")),
                               (Ballot, ("id", "ratings", "choices")), (Comment, ("id",))):
            for row in db.session.execute(select(model)).scalars():
                secrets |= {_text(getattr(row, c)).strip('"') for c in columns if getattr(row, c)}
        secrets |= {c.text for c in db.session.query(Comment).filter(Comment.status != "published")}
        secrets = {s for s in secrets if len(s) >= 6}
        assert len(secrets) > 20  # the box was read: codes, receipts, envelopes, ballots, comments

        stored = _rows(AlertCase.__table__) + _rows(CaseStep.__table__)
        dump = _text(stored)
        leaked = sorted(s for s in secrets if s in dump)
        assert not leaked

        # the basis is the published entry's aggregated figures, nothing per group or per item
        entry = next(t for t in case.campaign.published_results["targets"] if t["target"] == case.target.code)
        assert case.basis == {k: entry[k] for k in BASIS_KEYS if k in entry}
        assert not {"groups", "items", "n"} & set(case.basis)

        # and no column of a case could hold a time of answering: the tables' columns as designed
        columns = {t: {c["name"] for c in inspect(db.engine).get_columns(t)} for t in ("alert_cases", "alert_case_steps")}
        assert columns["alert_cases"] == {"id", "target_id", "campaign_id", "level", "source", "basis", "note",
                                          "status", "outcome", "outcome_note", "opened_by", "opened_at",
                                          "closed_by", "closed_at"}
        assert not any(word in name for name in columns["alert_case_steps"]
                       for word in ("ballot", "receipt", "code", "envelope", "answer_"))


def test_group_figures_of_the_results_stay_out_of_the_basis(app, quick_world):
    from survey_app.models import AlertCase
    with app.app_context():
        case = db.session.execute(select(AlertCase).where(AlertCase.level == "warning")).scalar_one()
        assert "groups" not in case.basis and case.basis["dissatisfaction"] == 0.35
