"""Through gunicorn with two workers, as a hall on one Wi-Fi: 200 deputies enter their codes
from one address and none is refused; wrong codes are throttled across the workers (Redis)."""
import pytest

from survey_app import create_app
from survey_app.extensions import db
from survey_app.models import AccessCode

from tests.web.helpers import issue_codes
from tests.web.live import enter_code, gunicorn, redis_server

SECRETS = {"SECRET_KEY": "hall-secret", "ACCESS_CODE_KEY": "hall-code-key"}


@pytest.fixture
def hall_db(tmp_path, make_campaign, app):
    """The test database (SQLite, or PostgreSQL under TEST_DATABASE_URL) with an open campaign."""
    campaign_id = make_campaign()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    return url, campaign_id


@pytest.fixture
def app(tmp_path, fresh_database):
    """The app of the tests with the server's secrets, so codes issued here are known there."""
    from tests.web.helpers import make_app
    app = make_app(fresh_database("hall.sqlite3"), tmp_path, **SECRETS)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def used(app) -> int:
    with app.app_context():
        return db.session.query(AccessCode).filter(AccessCode.state != "unused").count()


def test_two_hundred_deputies_from_one_address(app, hall_db):
    url, campaign_id = hall_db
    codes = issue_codes(app, campaign_id, n=200)
    with redis_server() as redis, gunicorn(url, RATELIMIT_STORAGE_URI=redis or "memory://", **SECRETS) as base:
        statuses = [enter_code(base, code)[0] for code in codes]
    assert statuses.count(302) == 200, sorted(set(statuses))


def test_wrong_codes_are_throttled_across_workers(app, hall_db):
    url, campaign_id = hall_db
    [right] = issue_codes(app, campaign_id)
    with redis_server() as redis:
        if redis is None:
            pytest.skip("redis-server is not installed: limits cannot be shared across workers")
        with gunicorn(url, RATELIMIT_STORAGE_URI=redis, CODE_FAILURE_LIMIT="5 per minute", **SECRETS) as base:
            wrong = [enter_code(base, "ACDE-FGHJ-KM")[0] for _ in range(5)]
            status, headers, body = enter_code(base, right)
    assert wrong == [400] * 5
    assert status == 429 and 0 < int(headers["Retry-After"]) <= 60
    assert "尝试次数过多" in body and f'value="{right}"' in body
    assert used(app) == 0
