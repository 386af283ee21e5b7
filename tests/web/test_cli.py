"""The command line: each command works, and bad input exits 2 naming the file and the reason."""
import csv
import io
import re

import questionnaires
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import AccessCode, Campaign, Questionnaire, User

from tests.web.helpers import PASSPHRASE


def test_questionnaire_validate_ok(runner, tmp_path):
    path = tmp_path / "q.yaml"
    path.write_text(questionnaires.dump(questionnaires.template("work_style")), encoding="utf-8")
    result = runner.invoke(args=["questionnaire", "validate", str(path)])
    assert result.exit_code == 0 and "valid" in result.output


def test_questionnaire_validate_bad(runner, tmp_path):
    path = tmp_path / "bad.yaml"
    text = questionnaires.dump(questionnaires.template("work_style")).replace("dimension: ", "dimension: nope_", 1)
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["questionnaire", "validate", str(path)])
    assert result.exit_code == 2
    assert str(path) in result.output and "line" in result.output and "nope_" in result.output


def test_questionnaire_validate_missing_file(runner, tmp_path):
    result = runner.invoke(args=["questionnaire", "validate", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2 and "none.yaml" in result.output


def test_questionnaire_import(runner, app, tmp_path):
    path = tmp_path / "q.yaml"
    path.write_text(questionnaires.dump(questionnaires.template("decision")), encoding="utf-8")
    result = runner.invoke(args=["questionnaire", "import", str(path), "--publish"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Questionnaire)).scalar_one() == 1


def test_codes_issue_to_file(runner, app, campaign_id, tmp_path):
    out = tmp_path / "codes.csv"
    result = runner.invoke(args=["codes", "issue", "c1", "staff", "5", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 5 and len({r["code"] for r in rows}) == 5
    with app.app_context():
        hashes = set(db.session.execute(select(AccessCode.code_hash)).scalars())
    assert len(hashes) == 5 and not any(r["code"] in h for r in rows for h in hashes)


def test_codes_issue_errors(runner, app, campaign_id):
    for args, needle in ((["codes", "issue", "nope", "staff", "5"], "nope"),
                         (["codes", "issue", "c1", "public", "5"], "public"),
                         (["codes", "issue", "c1", "staff", "0"], "0")):
        result = runner.invoke(args=args)
        assert result.exit_code == 2 and needle in result.output
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(AccessCode)).scalar_one() == 0


def test_codes_revoke(runner, app, campaign_id):
    runner.invoke(args=["codes", "issue", "c1", "staff", "3"])
    result = runner.invoke(args=["codes", "revoke", "c1", "staff"])
    assert result.exit_code == 0 and "3" in result.output


def test_campaign_lifecycle_cli(runner, app, make_campaign):
    make_campaign(code="cli", status="draft")
    assert runner.invoke(args=["campaign", "open", "cli", "--passphrase", "short"]).exit_code == 2
    result = runner.invoke(args=["campaign", "open", "cli", "--passphrase", PASSPHRASE])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["campaign", "count", "cli", "--passphrase", PASSPHRASE]).exit_code == 2
    assert runner.invoke(args=["campaign", "close", "cli"]).exit_code == 0
    wrong = runner.invoke(args=["campaign", "count", "cli", "--passphrase", "wrong passphrase!"])
    assert wrong.exit_code == 2 and "nothing was changed" in wrong.output
    assert runner.invoke(args=["campaign", "count", "cli", "--passphrase", PASSPHRASE]).exit_code == 0
    with app.app_context():
        assert db.session.execute(select(Campaign).where(Campaign.code == "cli")).scalar_one().counted_at


def test_user_create(runner, app):
    result = runner.invoke(args=["user", "create", "root", "--role", "admin", "--password", "a-long-password"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["user", "create", "root", "--password", "a-long-password"]).exit_code == 2
    assert runner.invoke(args=["user", "create", "weak", "--password", "short"]).exit_code == 2
    with app.app_context():
        user = db.session.execute(select(User).where(User.username == "root")).scalar_one()
        assert user.role == "admin" and user.check_password("a-long-password")
        assert "a-long-password" not in user.password_hash


def test_demo_loads_and_skips_when_not_empty(runner, app):
    result = runner.invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "admin" in result.output
    with app.app_context():
        campaigns = {c.code: c for c in db.session.execute(select(Campaign)).scalars()}
        assert set(campaigns) == {"sector-2025", "sector-2026", "work-2025", "work-2026", "report-2026",
                                  "decision-2026-12", "sector-2026-review", "promise-2026"}
        assert campaigns["work-2025"].status == "published"
        assert campaigns["sector-2025"].published_at < campaigns["sector-2026"].published_at
        assert campaigns["sector-2026"].status == "published"
        assert campaigns["sector-2026"].published_results["ballots"] >= 300
        assert campaigns["work-2026"].counted_at is not None
        assert campaigns["report-2026"].status == "open"
        # the standing committee's meeting: 9 members, three matters of three kinds, counted and published
        meeting = campaigns["decision-2026-12"]
        tally = meeting.published_results
        assert (meeting.status, tally["members"], tally["voted"]) == ("published", 9, 8)
        assert [(m["kind"], m["outcome"]) for m in tally["matters"]] == [
            ("ordinary", "passed"), ("especially_major", "not_passed"), ("personnel", "passed")]
        # the public rating (评诺): every published commitment of the five leaders asked of its own leader, rated
        from survey_app.commitments import ratings
        from survey_app.models import Commitment
        rating = campaigns["promise-2026"]
        assert rating.status == "published" and len(rating.items) == 10
        rated = {c.status: [] for c in db.session.execute(select(Commitment)).scalars()}
        for target in rating.targets:
            for commitment_id, figures in ratings.rated_in(rating, target).items():
                assert figures.n >= 5 and figures.ci95 is not None
                rated[db.session.get(Commitment, commitment_id).status].append(figures.score)
        assert sum(map(len, rated.values())) == 10
        assert max(rated["broken"] + rated["stalled"]) < sum(rated["kept"]) / len(rated["kept"])
        assert all(c.signatures_needed == 2 for c in campaigns.values() if c.counted_at)
        # the follow-up of alerts: one case of each kind, the leader login's among them
        from survey_app.models import AlertCase
        cases = db.session.execute(select(AlertCase)).scalars().all()
        assert {tuple(s.kind for s in c.steps) for c in cases} >= {
            ("letter", "reply"), ("self_correction",), ("reminder_talk",), ("admonishing_talk", "letter"),
            ("reminder_talk", "self_correction")}
        assert any(c.source == "publication" for c in cases)
        # the review (回头看) of this year's rectification: each department's own approved measures asked of it
        # alone, answered, counted and published, with a score per measure beside the original result
        from survey_app.models import RectificationItem
        from survey_app.rectification import review as reviews
        review = campaigns["sector-2026-review"]
        assert review.status == "published" and review.published_results["ballots"] >= 20
        approved = {(i.target_id, i.id) for i in db.session.execute(select(RectificationItem).where(
            RectificationItem.campaign_id == campaigns["sector-2026"].id,
            RectificationItem.plan_state == "approved")).scalars()}
        assert {(i.target_id, i.source_id) for i in review.items} == approved and len(review.targets) == 2
        for target in review.targets:
            [row] = reviews.review_rows(target.id)
            assert row["original"].code == "sector-2026" and row["score"] is not None
            assert row["original_score"] is not None and row["overall"] is not None
            assert {i.source_id for i, _mean in row["measures"]} == {s for t, s in approved if t == target.id}
            assert all(mean is not None for _i, mean in row["measures"])
        shown, measured = review.id, review.targets[0]
        measures = [i.measures_en for i in db.session.execute(select(RectificationItem).where(
            RectificationItem.target_id == measured.id, RectificationItem.campaign_id == campaigns["sector-2026"].id,
            RectificationItem.plan_state == "approved")).scalars()]
        measured = measured.id
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0 and "results of 7 counted campaigns" in verified.output
    again = runner.invoke(args=["demo", "--if-empty"])
    assert again.exit_code == 0 and "not loaded" in again.output
    # the demo's leader login has a report to read from the start (a fresh demo once showed none)
    from survey_app.demo import PASSWORD as DEMO_PASSWORD
    leader = app.test_client()
    assert leader.post("/login", data={"username": "leader01", "password": DEMO_PASSWORD}).status_code == 302
    index = leader.get("/reports/").get_data(as_text=True)
    links = re.findall(r'href="(/reports/\d+/targets/\d+)"', index)
    assert links, index[:2000]
    assert leader.get(links[0]).status_code == 200
    # the review sits beside the original result in the department's report of it
    staff = app.test_client()
    staff.set_cookie("lang", "en")
    assert staff.post("/login", data={"username": "staff", "password": DEMO_PASSWORD}).status_code == 302
    page = staff.get(f"/reports/{shown}/targets/{measured}").get_data(as_text=True)
    assert "Review of the rectification" in page and "Jiangchuan sector-style appraisal 2026" in page
    assert measures and all(m in page for m in measures)
