"""The demo's year of commitments: five leaders, some kept, one stalled, one broken, flagged as the
public page and the board show them."""
from datetime import date

from survey_app.commitments import demo, operations
from survey_app.extensions import db
from survey_app.models import Commitment, ProgressEntry, Target


def test_a_year_of_commitments_for_five_leaders(app):
    today = date(2026, 12, 1)
    with app.app_context():
        leaders = [Target(code=f"l{i}", kind="leader", name_zh=f"领导{i}", name_en=f"Leader {i}") for i in range(6)]
        db.session.add_all(leaders)
        db.session.commit()
        assert demo.load(leaders, today) == 10
        commitments = db.session.query(Commitment).all()
        assert {c.target.code for c in commitments} == {"l0", "l1", "l2", "l3", "l4"}
        statuses = [c.status for c in commitments]
        assert statuses.count("kept") >= 3 and statuses.count("stalled") == 1 and statuses.count("broken") == 1
        assert all(c.state == "published" for c in commitments)
        assert all(c.status_reason for c in commitments if c.status in ("stalled", "broken"))
        flags = {c.text_en: operations.flags(c, today, 90) for c in commitments}
        assert flags["Renovate 40 old residential estates"] == ("overdue", "stale")
        assert flags["Open six new bus lines"] == ("overdue",)
        assert sum(bool(f) for f in flags.values()) == 2
        assert db.session.query(ProgressEntry).filter_by(review="pending").count() >= 1
    assert "Renovate 40 old residential estates" in app.test_client().get("/promises/l2").get_data(as_text=True)
