"""Fixtures of the paper-ballot tests: an open campaign with one paper group, a printed batch,
two more clerks, and form data that keys a sheet."""
import pytest
from sqlalchemy import func, select

from survey_app.extensions import db

from tests.web.helpers import PASSWORD


@pytest.fixture
def paper_campaign(make_campaign):
    """An open sector-style campaign: group "hall" (paper) and "public", 3 targets."""
    return make_campaign(code="pc", groups=[("hall", 0.5, "code"), ("public", 0.5, "public")], n_targets=3)


@pytest.fixture
def clerks(app, users):
    """Two more clerks besides the `clerk` account of `users`."""
    from survey_app.auth.operations import create_user
    with app.app_context():
        create_user("clerk2", PASSWORD, "clerk")
        create_user("clerk3", PASSWORD, "clerk")
    return ("clerk", "clerk2", "clerk3")


@pytest.fixture
def batch(app, paper_campaign):
    """Ten sheets printed for group "hall"; returns their numbers."""
    from survey_app.models import Campaign
    from survey_app.paper import sheets
    with app.app_context():
        campaign = db.session.get(Campaign, paper_campaign)
        b = sheets.print_batch(campaign, campaign.group("hall"), 10, "staff")
        return list(range(b.first_number, b.first_number + b.count))


@pytest.fixture
def rows(app, paper_campaign):
    """Form data keying a hall sheet: every letter row filled with `letter` (or a given row string)."""
    from survey_app.models import Campaign
    from survey_app.paper import sheets

    def make(letter="A", general="A", **extra):
        with app.app_context():
            campaign = db.session.get(Campaign, paper_campaign)
            lay = sheets.layout(campaign, campaign.group("hall"))
            data = {}
            for row in lay.rows:
                data[row.key] = (general * len(row.items)) if row.target is None else (letter * len(row.items))
            data.update(extra)
            return data
    return make


@pytest.fixture
def count_rows(app):
    def count(model, *where):
        with app.app_context():
            return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()
    return count
