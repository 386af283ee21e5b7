"""Fixtures of the designer tests: a logged-in staff client and a way to start a draft."""
import pytest
from sqlalchemy import func, select

from survey_app.extensions import db


@pytest.fixture
def staff(login):
    return login("staff")


@pytest.fixture
def start_draft(app, staff):
    """Start a questionnaire through the UI; returns the new version id."""
    def start(code="q-new", source="template", kind="sector_style", copy_of=None):
        data = {"source": source, "kind": kind, "code": code}
        if copy_of is not None:
            data["copy_of"] = copy_of
        response = staff.post("/designer/start", data=data)
        assert response.status_code == 302, response.get_data(as_text=True)
        return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    return start


@pytest.fixture
def draft(start_draft):
    """A sector-style draft, version 1."""
    return start_draft()


@pytest.fixture
def definition(app):
    """The stored definition of a version (read afresh)."""
    def read(version_id):
        from survey_app.models import QuestionnaireVersion
        with app.app_context():
            return db.session.get(QuestionnaireVersion, version_id).definition
    return read


@pytest.fixture
def version_count(app):
    def count():
        from survey_app.models import QuestionnaireVersion
        with app.app_context():
            return db.session.execute(select(func.count()).select_from(QuestionnaireVersion)).scalar_one()
    return count
