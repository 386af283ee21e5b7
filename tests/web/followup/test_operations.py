"""Cases opened on publication (once, whatever runs twice), the measures, the leader's answers, the
closing, the flags and the audit log."""
from datetime import date

import pytest
from sqlalchemy import select

from survey_app.extensions import db

PDF = b"%PDF-1.4\n%%EOF\n"


def _audit(app, prefix="case."):
    from survey_app.models import AuditEntry
    with app.app_context():
        return [(e.action, e.subject, e.details) for e in db.session.execute(
            select(AuditEntry).where(AuditEntry.action.startswith(prefix)).order_by(AuditEntry.id)).scalars()]


def test_publication_opens_one_case_per_target_in_prevention_or_warning(app, alert_world):
    from survey_app.models import AlertCase, Campaign
    from survey_app.models.followup import BASIS_KEYS
    with app.app_context():
        campaign = db.session.get(Campaign, alert_world["campaign"])
        entries = {t["target"]: t for t in campaign.published_results["targets"]}
        found = {c.target.code: c for c in db.session.query(AlertCase).all()}
        assert {code: c.level for code, c in found.items()} == {"alr-t1": "warning", "alr-t2": "prevention"}
        assert entries["alr-t3"]["alert"] == "none"
        for code, case in found.items():
            assert case.status == "open" and case.source == "publication" and case.campaign_id == campaign.id
            assert set(case.basis) <= set(BASIS_KEYS)
            assert case.basis == {k: entries[code][k] for k in BASIS_KEYS if k in entries[code]}
    opened = _audit(app)
    assert sorted((a, d["target"], d["level"]) for a, _s, d in opened) == [
        ("case.open", "alr-t1", "warning"), ("case.open", "alr-t2", "prevention")]


def test_opening_again_adds_nothing_and_logs_nothing(app, quick_world):
    from survey_app.followup import operations
    from survey_app.models import AlertCase, Campaign
    before = _audit(app)
    with app.app_context():
        assert operations.open_published_cases("staff") == 0
        assert operations.open_cases_for(db.session.get(Campaign, quick_world["campaign"]), "staff") == []
        db.session.commit()
        assert db.session.query(AlertCase).count() == 2
    assert _audit(app) == before


def test_a_case_deleted_by_mistake_is_opened_again_by_the_trigger(app, quick_world, users, login):
    from survey_app.models import AlertCase
    with app.app_context():
        db.session.delete(db.session.query(AlertCase).filter_by(level="prevention").one())
        db.session.commit()
    client = login("staff")
    response = client.post("/cases/open-published", follow_redirects=True)
    assert response.status_code == 200 and "1" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(AlertCase).count() == 2


@pytest.mark.parametrize("start, n, due", [
    (date(2026, 11, 6), 0, date(2026, 11, 6)),    # Friday, no days
    (date(2026, 11, 6), 1, date(2026, 11, 9)),    # Friday + 1 → Monday
    (date(2026, 11, 6), 10, date(2026, 11, 20)),  # two working weeks
    (date(2026, 11, 7), 1, date(2026, 11, 9)),    # Saturday + 1 → Monday
    (date(2026, 11, 9), 5, date(2026, 11, 16)),   # Monday + 5 → next Monday
])
def test_working_days_skip_weekends(start, n, due):  # (November 2026 has no public holiday)
    from survey_app.followup.operations import working_days_after
    assert working_days_after(start, n) == due


@pytest.mark.parametrize("start, n, due", [
    (date(2026, 9, 30), 1, date(2026, 10, 8)),    # National Day: 1–7 October off
    (date(2026, 9, 28), 10, date(2026, 10, 16)),  # ... and Saturday 10 October worked (调休): Monday to Friday says 12 Oct
    (date(2026, 9, 18), 1, date(2026, 9, 20)),    # Sunday 20 September is a make-up working day
    (date(2026, 2, 13), 1, date(2026, 2, 14)),    # Saturday before the Spring Festival worked ...
    (date(2026, 2, 14), 1, date(2026, 2, 24)),    # ... then 15–23 February off
])
def test_working_days_follow_the_public_holidays_and_make_up_days(start, n, due):
    from survey_app.followup.operations import working_days_after
    assert working_days_after(start, n) == due


def test_a_year_the_calendar_does_not_know_counts_monday_to_friday_and_takes_added_days():
    from survey_app.followup.operations import working_days_after
    start = date(2099, 9, 30)                      # a Wednesday, far past any published calendar
    assert working_days_after(start, 2) == date(2099, 10, 2)
    added = {"holidays": (date(2099, 10, 1), date(2099, 10, 2)), "makeup_days": (date(2099, 10, 3),)}
    assert working_days_after(start, 2, **added) == date(2099, 10, 5)  # Saturday 3rd worked, Monday 5th


def test_added_days_come_from_the_configuration(tmp_path, monkeypatch):
    from survey_app.config import from_environment
    monkeypatch.setenv("PUBLIC_HOLIDAYS", "2099-10-02, 2099-10-01")
    monkeypatch.setenv("MAKEUP_WORKING_DAYS", "2099-10-03")
    config = from_environment(tmp_path)
    assert config["PUBLIC_HOLIDAYS"] == (date(2099, 10, 1), date(2099, 10, 2))
    assert config["MAKEUP_WORKING_DAYS"] == (date(2099, 10, 3),)
    monkeypatch.setenv("PUBLIC_HOLIDAYS", "2099-13-01")
    with pytest.raises(ValueError, match="PUBLIC_HOLIDAYS: '2099-13-01' is not a date"):
        from_environment(tmp_path)


def test_a_letter_is_due_in_the_configured_working_days_and_overdue_until_answered(app, cases, letter, monkeypatch):
    from survey_app.followup import operations
    from survey_app.models import AlertCase, CaseStep
    with app.app_context():
        step = db.session.get(CaseStep, letter)
        assert step.reply_due == date(2026, 11, 20)
        case = db.session.get(AlertCase, cases[0])
        assert operations.flags(case, date(2026, 11, 20)) == ()
        assert operations.flags(case, date(2026, 11, 21)) == ("overdue",)
        counts = operations.counts_per_target([case.target_id], date(2026, 11, 23))
        assert counts[case.target_id] == {"open": 1, "overdue": 1, "closed": 0}
        operations.add_step(case, "reply", on=date(2026, 11, 23), actor="leader-1", text="已说明情况", answers=step)
        assert operations.flags(case, date(2026, 11, 30)) == ()
        with pytest.raises(operations.CaseError, match="answered already"):
            operations.add_step(case, "reply", on=date(2026, 11, 24), actor="leader-1", text="again", answers=step)


def test_the_reply_period_is_a_config_key(app, cases):
    from survey_app.followup import operations
    from survey_app.models import AlertCase
    assert app.config["CASE_REPLY_WORKING_DAYS"] == 10
    with app.app_context():
        step = operations.add_step(db.session.get(AlertCase, cases[1]), "letter", on=date(2026, 11, 6),
                                   actor="staff", text="请说明", reply_working_days=3)
        assert step.reply_due == date(2026, 11, 11)
        app.config["PUBLIC_HOLIDAYS"] = (date(2026, 11, 9),)  # a day the installation adds
        step = operations.add_step(db.session.get(AlertCase, cases[1]), "letter", on=date(2026, 11, 6),
                                   actor="staff", text="请再说明", reply_working_days=3)
        assert step.reply_due == date(2026, 11, 12)


@pytest.mark.parametrize("kind, values, message", [
    ("reminder_talk", {}, "who held"),
    ("admonishing_talk", {"held_by": "王书记", "text": "诫勉"}, "where"),
    ("letter", {"held_by": "市纪委"}, "what was asked"),
    ("self_correction", {}, "what was asked"),
    ("reply", {"text": "答复"}, "letter this reply"),
    ("hearing", {"text": "x"}, "Unknown kind"),
])
def test_bad_steps_are_refused_and_change_nothing(app, cases, kind, values, message):
    from survey_app.followup import operations
    from survey_app.models import AlertCase, CaseStep
    with app.app_context():
        with pytest.raises(operations.CaseError, match=message):
            operations.add_step(db.session.get(AlertCase, cases[0]), kind, on=date(2026, 11, 6), actor="staff",
                                **values)
        assert db.session.query(CaseStep).count() == 0
    assert [a for a, _s, _d in _audit(app)] == ["case.open", "case.open"]


def test_a_future_date_and_a_file_that_is_no_pdf_are_refused(app, cases):
    from survey_app.followup import operations
    from survey_app.models import AlertCase
    with app.app_context():
        case = db.session.get(AlertCase, cases[0])
        with pytest.raises(operations.CaseError, match="future"):
            operations.add_step(case, "reminder_talk", on=date(2999, 1, 1), actor="staff", held_by="王")
        with pytest.raises(operations.CaseError, match="PDF, PNG or JPEG"):
            operations.add_step(case, "reminder_talk", on=date(2026, 11, 6), actor="staff", held_by="王",
                                attachment=b"MZ\x90\x00 not a pdf", filename="talk.pdf")
        with pytest.raises(operations.CaseError, match="larger"):
            operations.add_step(case, "reminder_talk", on=date(2026, 11, 6), actor="staff", held_by="王",
                                attachment=PDF + b"x" * 100, filename="talk.pdf", max_bytes=50)
        assert case.steps == []


def test_a_reply_answers_a_letter_of_its_own_case_only(app, cases, letter):
    from survey_app.followup import operations
    from survey_app.models import AlertCase, CaseStep
    with app.app_context():
        with pytest.raises(operations.CaseError, match="letter this reply"):
            operations.add_step(db.session.get(AlertCase, cases[1]), "reply", on=date(2026, 11, 9), actor="leader-2",
                                text="答复", answers=db.session.get(CaseStep, letter))
        with pytest.raises(operations.CaseError, match="before its letter"):
            operations.add_step(db.session.get(AlertCase, cases[0]), "reply", on=date(2026, 11, 5), actor="leader-1",
                                text="答复", answers=db.session.get(CaseStep, letter))


def test_the_whole_cycle_is_in_the_audit_log_and_a_closed_case_takes_nothing_more(app, cases, letter):
    from survey_app.followup import operations
    from survey_app.models import AlertCase, CaseStep
    with app.app_context():
        case = db.session.get(AlertCase, cases[0])
        operations.add_step(case, "reminder_talk", on=date(2026, 11, 2), actor="staff", held_by="市纪委副书记")
        operations.add_step(case, "admonishing_talk", on=date(2026, 11, 3), actor="staff", held_by="市纪委书记",
                            place="市纪委谈话室", text="指出问题，提出要求", attachment=PDF, filename="record.pdf")
        with pytest.raises(operations.CaseError, match="waits for its reply"):
            operations.close_case(case, "corrected", "整改到位", "staff")
        operations.add_step(case, "reply", on=date(2026, 11, 10), actor="leader-1", text="已说明",
                            answers=db.session.get(CaseStep, letter))
        operations.add_step(case, "self_correction", on=date(2026, 11, 12), actor="leader-1", text="自查自纠报告")
        with pytest.raises(operations.CaseError, match="how the case ended"):
            operations.close_case(case, "corrected", "  ", "staff")
        with pytest.raises(operations.CaseError, match="outcome"):
            operations.close_case(case, "forgotten", "x", "staff")
        operations.close_case(case, "corrected", "整改到位", "staff")
        assert (case.status, case.outcome, case.closed_by) == ("closed", "corrected", "staff")
        with pytest.raises(operations.CaseError, match="closed"):
            operations.add_step(case, "reminder_talk", on=date(2026, 11, 13), actor="staff", held_by="王")
        with pytest.raises(operations.CaseError, match="closed already"):
            operations.close_case(case, "corrected", "x", "staff")
        assert operations.counts_per_target([case.target_id], date(2027, 1, 1))[case.target_id] == \
            {"open": 0, "overdue": 0, "closed": 1}
    actions = [(a, s) for a, s, _d in _audit(app)]
    subject = f"case:{cases[0]}"
    assert [a for a, s in actions if s == subject] == [
        "case.open", "case.letter", "case.reminder_talk", "case.admonishing_talk", "case.reply",
        "case.self_correction", "case.close"]


def test_a_case_by_hand_needs_a_note_that_names_no_informant(app, quick_world):
    from survey_app.followup import operations
    from survey_app.models import AlertCase, Target
    with app.app_context():
        target = db.session.get(Target, quick_world["targets"][2])
        with pytest.raises(operations.CaseError, match="informant"):
            operations.open_case_by_hand(target, "prevention", "满意度连续下降", "staff", names_no_informant=False)
        with pytest.raises(operations.CaseError, match="why"):
            operations.open_case_by_hand(target, "prevention", " ", "staff", names_no_informant=True)
        with pytest.raises(operations.CaseError, match="prevention or warning"):
            operations.open_case_by_hand(target, "red", "x", "staff", names_no_informant=True)
        case = operations.open_case_by_hand(target, "prevention", "满意度连续下降", "staff", names_no_informant=True)
        assert (case.source, case.campaign_id, case.basis) == ("manual", None, None)
        assert db.session.query(AlertCase).count() == 3


def test_every_step_has_its_audit_action_in_words():
    from survey_app.followup.operations import STEP_ACTIONS
    from survey_app.labels import LABELS
    from survey_app.models.followup import STEP_KINDS
    assert set(STEP_ACTIONS) == set(STEP_KINDS)
    assert all(action in LABELS["action"] for action in STEP_ACTIONS.values())


def test_two_processes_opening_at_once_open_each_case_once(app, quick_world, backend):
    """Two workers run the trigger at the same moment (each with its own connection): every case
    is opened once, logged once, and the audit chain stays whole."""
    import threading

    from survey_app import audit
    from survey_app.followup import operations
    from survey_app.models import AlertCase, AuditEntry
    with app.app_context():
        db.session.query(AlertCase).delete()
        db.session.commit()
        logged = db.session.query(AuditEntry).count()
    barrier, results, errors = threading.Barrier(2), [], []

    def run(actor):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results.append(operations.open_published_cases(actor))
            except Exception as error:  # reported below
                errors.append(error)
            finally:
                db.session.remove()
    threads = [threading.Thread(target=run, args=(f"worker-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors and sorted(results) == [0, 2]
    with app.app_context():
        assert db.session.query(AlertCase).count() == 2
        assert db.session.query(AuditEntry).count() == logged + 2
        assert audit.verify() == []
