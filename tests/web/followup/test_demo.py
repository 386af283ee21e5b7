"""The demo's follow-up: the cases publication opened, scripted into one of each kind."""
from datetime import date

from survey_app.extensions import db


def test_one_case_of_each_kind(app, quick_world):
    from survey_app.followup import demo, operations
    from survey_app.models import AlertCase, Target
    today = date(2026, 12, 7)
    with app.app_context():
        extra = [Target(code=f"x{i}", kind="leader", name_zh=f"领导{i}", name_en=f"Leader {i}") for i in range(4)]
        db.session.add_all(extra)
        db.session.commit()
        account = db.session.get(Target, quick_world["targets"][2])  # no alert: opened by hand
        assert demo.load([account], extra, today) == 5
        cases = db.session.query(AlertCase).order_by(AlertCase.id).all()
        assert len(cases) == 5 and sum(c.source == "manual" for c in cases) == 3
        kinds = {tuple(s.kind for s in c.steps) for c in cases}
        assert kinds == {("letter", "reply"), ("self_correction",), ("reminder_talk",),
                         ("admonishing_talk", "letter"), ("reminder_talk", "self_correction")}
        assert [c.status for c in cases].count("closed") == 1
        assert sum(bool(operations.flags(c, today)) for c in cases) == 1  # the letter whose reply is overdue
        assert next(c for c in cases if c.target_id == account.id).steps[0].kind == "letter"
