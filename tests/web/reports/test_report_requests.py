"""What one request to a results page costs: the method made once, the results never scored again
(they were computed and signed when the box was counted), the ballots counted at most once, and
no GET that commits anything."""
import pytest
import questionnaires
from sqlalchemy import event
from sqlalchemy.orm import Session

from survey_app.results import adapter
from survey_app.extensions import db

#: the commission's pages that show results, as templates of (campaign id, target id)
STAFF_PAGES = ["/reports/{c}/targets/{t}", "/reports/{c}/targets/{t}.pdf", "/reports/{c}/targets/{t}/alert",
               "/reports/{c}/dashboard", "/reports/{c}/comments", "/reports/{c}/results.csv",
               "/reports/{c}/results.xlsx", "/admin/campaigns/{c}/results"]
#: the public pages of a published campaign, as templates of its code
PUBLIC_PAGES = ["/", "/results/{code}", "/results/{code}/receipts", "/results/{code}/bundle.zip"]


class Work:
    """What the requests did since the last `reset`."""

    def __init__(self):
        self.reset()

    def reset(self):
        #: calls of `questionnaires.method_for`
        self.methods = 0
        #: the method options of each scoring of the ballots
        self.scorings: list[dict] = []
        #: statements that counted the ballots
        self.ballot_counts = 0
        #: commits of a request's session, and of any connection
        self.session_commits = self.commits = 0


@pytest.fixture
def work(app, monkeypatch):
    done = Work()
    real_method, real_compute = questionnaires.method_for, adapter.compute

    def method_for(*args, **kwargs):
        done.methods += 1
        return real_method(*args, **kwargs)

    def compute(campaign, **options):
        done.scorings.append(options)
        return real_compute(campaign, **options)

    def statement(conn, cursor, sql, parameters, context, executemany):
        if "count(*)" in sql.lower() and "from ballots" in sql.lower():
            done.ballot_counts += 1

    def session_commit(session):
        done.session_commits += 1

    def commit(conn):
        done.commits += 1

    monkeypatch.setattr(questionnaires, "method_for", method_for)
    monkeypatch.setattr(adapter, "compute", compute)
    with app.app_context():
        engine = db.engine
    listeners = [(engine, "before_cursor_execute", statement), (Session, "after_commit", session_commit),
                 (engine, "commit", commit)]
    for target, name, fn in listeners:
        event.listen(target, name, fn)
    yield done
    for target, name, fn in listeners:
        event.remove(target, name, fn)


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_a_results_page_makes_the_method_and_the_results_once(app, login, counted_campaign, ids, work, page):
    client = login("staff")
    url = page.format(c=counted_campaign, t=ids(counted_campaign)[0])
    work.reset()
    assert client.get(url).status_code == 200
    assert work.methods <= 1  # none where the page needs only the results kept at counting
    assert [options for options in work.scorings if not options] == []  # the results, as counted and signed
    assert len(work.scorings) == len({tuple(sorted(options.items())) for options in work.scorings})
    assert work.ballot_counts <= 1
    assert work.session_commits == 0  # the results cache is written beside the request's session
    work.reset()
    assert client.get(url).status_code == 200
    assert work.methods <= 1 and work.scorings == [] and work.ballot_counts <= 1
    assert work.session_commits == 0 and work.commits == 0  # nothing left to keep


def test_the_reports_of_a_campaign_from_the_cli_share_one_method_and_one_scoring(app, counted_campaign, work,
                                                                                 tmp_path, monkeypatch):
    from survey_app.models import Campaign
    from survey_app.reports import pdf
    monkeypatch.setattr(pdf, "render", lambda report: b"%PDF-")  # what is gathered, not how it is drawn
    made = []
    with app.app_context():
        campaign = db.session.get(Campaign, counted_campaign)
        target_ids = [t.id for t in campaign.targets]
        for wanted in (target_ids, target_ids[:1], target_ids):
            work.reset()
            assert len(pdf.write_campaign(campaign, wanted, "en", tmp_path)) == len(wanted)
            made.append((work.methods, work.scorings))
    # the results as counted and signed: no scoring, as many methods for one report as for all
    assert made[0][1] == [] and made[1] == made[2] == (made[1][0], [])


@pytest.mark.parametrize("page", PUBLIC_PAGES)
def test_a_public_page_scores_nothing_and_commits_nothing(app, client, published_campaign, work, page):
    from survey_app.models import Campaign
    with app.app_context():
        code = db.session.get(Campaign, published_campaign).code
    for view in range(2):
        work.reset()
        assert client.get(page.format(code=code)).status_code == 200
        assert work.methods == 0 and work.scorings == [] and work.ballot_counts == 0
        assert work.session_commits == 0
        # the first view keeps the charts and the ranking it drew (reports.drawn: a transaction of
        # their own, beside the request's session); later views find them kept
        assert view == 0 or work.commits == 0
