"""The public's rating of commitments (评诺) where it is read: the dashboard of the rating campaign lists
every commitment's figures once counted; the leader's feedback report (page and PDF) and the public
page /promises/<target> show each commitment's score, interval and satisfied share, the public page
only once the campaign is published, and each leader's figures only on their own commitments."""
import io

import pytest
from pypdf import PdfReader

from survey_app.extensions import db

from tests.web.helpers import close_and_count
from tests.web.rating import COMMITMENTS, make_rating_campaign

#: per leader, the options given to each of its own commitments by the six ballots: A's first kept
#: (all satisfied), its second broken (mostly dissatisfied), B's one between
OWN_ANSWERS = {"pr-a": ["AABAAB", "CCCCCB"], "pr-b": ["BBABCB"]}
KEPT, BROKEN, FAIR = "Build five nurseries", "Renovate twenty old estates", "Clean up three black, smelly waterways"
BALLOTS = 6


@pytest.fixture
def counted_promises(app):
    """A closed and counted rating campaign of six public ballots (not published)."""
    from survey_app.ballots import operations as ballots
    from survey_app.ballots.validation import BallotContent
    from survey_app.models import Campaign
    cid, _ids = make_rating_campaign(app, code="pr", groups=(("public", 1.0, "public"),), min_group_size=3)
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        q = campaign.questionnaire
        for n in range(BALLOTS):
            content = BallotContent()
            for ct in campaign.campaign_targets:
                own = iter(answers[n] for answers in OWN_ANSWERS[ct.target.code])
                for item in q.items_for("public"):
                    if item.per_target and item.type == "rating" and item.asked_of(ct.target.code):
                        content.answers.append((ct.target.code, item.code,
                                                next(own) if item.target else "AB"[n % 2]))
            ballots.submit(campaign, campaign.group("public"), content)
        close_and_count(campaign)
    return cid


def _figures(app, cid):
    """commitment text (en) -> its Rating (score, ci95, satisfaction, n) as the counted results hold it."""
    from survey_app.commitments import ratings
    from survey_app.models import Campaign, Commitment
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        return {db.session.get(Commitment, cid_).text_en: rating
                for target in campaign.targets for cid_, rating in ratings.rated_in(campaign, target).items()}


def _target_id(app, code):
    from survey_app.models import Target
    with app.app_context():
        return db.session.execute(db.select(Target.id).where(Target.code == code)).scalar_one()


def test_the_figures_are_each_commitment_s_own(app, counted_promises):
    figures = _figures(app, counted_promises)
    assert set(figures) == {en for _n, _leader, state, _zh, en in COMMITMENTS if state == "published"}
    kept, broken, fair = (figures[en] for en in (KEPT, BROKEN, FAIR))
    assert kept.n == broken.n == fair.n == BALLOTS
    assert kept.score == pytest.approx(90) and kept.satisfaction == pytest.approx(1)  # (4 × 100 + 2 × 70) / 6
    assert broken.score == pytest.approx(45) and broken.satisfaction == pytest.approx(1 / 6)
    assert broken.score < fair.score < kept.score
    assert kept.ci95 is not None and kept.ci95[0] <= kept.score <= kept.ci95[1]


def test_dashboard_lists_every_commitment_s_figures(app, counted_promises, as_user, users):
    staff = as_user("staff")
    staff.set_cookie("lang", "en")
    html = staff.get(f"/reports/{counted_promises}/dashboard").get_data(as_text=True)
    assert 'id="specific-results"' in html
    for en, rating in _figures(app, counted_promises).items():
        row = html[html.index(f'data-item="{rating.code}"'):]
        row = row[:row.index("</tr>")]
        assert en in row and f"{rating.score:.2f}" in row and f"{rating.satisfaction * 100:.1f}%" in row


def test_public_page_shows_the_rating_only_once_published(app, counted_promises, client):
    from survey_app.admin import operations
    from survey_app.models import Campaign
    client.set_cookie("lang", "en")
    before = client.get("/promises/pr-a").get_data(as_text=True)
    assert KEPT in before and "Public rating" not in before
    with app.app_context():
        operations.publish_campaign(db.session.get(Campaign, counted_promises))
    figures = _figures(app, counted_promises)
    la = client.get("/promises/pr-a").get_data(as_text=True)
    lb = client.get("/promises/pr-b").get_data(as_text=True)
    assert "Public rating" in la and "Public rating of commitments" in la
    for en in (KEPT, BROKEN):
        card = la[la.index(en):]
        card = card[:card.index("</article>")]
        assert f"{figures[en].score:.1f}" in card and f"{figures[en].satisfaction * 100:.1f}%" in card
    assert f"{figures[FAIR].score:.1f}" in lb
    assert KEPT not in lb


def test_leader_report_carries_the_rating_on_page_and_pdf(app, counted_promises, as_user, users):
    from survey_app.admin import operations
    from survey_app.auth.operations import create_user
    from survey_app.models import Campaign
    la = _target_id(app, "pr-a")
    with app.app_context():
        create_user("leader-la", "leader-password-123", "leader", "张副市长", la)
    staff = as_user("staff")
    staff.set_cookie("lang", "en")
    figures = _figures(app, counted_promises)
    page = staff.get(f"/reports/{counted_promises}/targets/{la}").get_data(as_text=True)
    assert "Not published yet." in page and f"{figures[KEPT].score:.1f}" in page
    with app.app_context():
        operations.publish_campaign(db.session.get(Campaign, counted_promises))
    leader = app.test_client()
    assert leader.post("/login", data={"username": "leader-la", "password": "leader-password-123"}).status_code == 302
    leader.set_cookie("lang", "en")
    page = leader.get(f"/reports/{counted_promises}/targets/{la}").get_data(as_text=True)
    page = page[page.index("report-commitments"):]  # the commitments section (the items table names them too)
    assert "Public rating" in page and "Not published yet." not in page
    for en in (KEPT, BROKEN):
        row = page[page.index(en):]
        row = row[:row.index("</tr>")]
        assert f"{figures[en].score:.1f}" in row
    assert FAIR not in page
    leader.set_cookie("lang", "zh_CN")
    pdf = leader.get(f"/reports/{counted_promises}/targets/{la}.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "公众评价" in text and f"{figures[BROKEN].score:.1f}" in text
