"""Hypothesis throws random form fields and query strings at every route, as every role:
no input yields a 500, every refusal says why, and a refused request changes no row."""
import re

from flask import url_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from survey_app.extensions import db

ROLES = (None, "admin", "staff", "clerk", "leader", "auditor", "officer")
USERNAMES = {"admin": "admin", "staff": "staff", "clerk": "clerk", "leader": "leader", "auditor": "auditor",
             "officer": "officer"}
PARAMS = {"campaign_id": "campaign_b", "target_id": "target_b", "campaign_target_id": "link_b",
          "group_id": "group_b", "code": "code_b", "token": "token_b", "version_id": "version",
          "user_id": "scoped_staff", "entry_id": "audit_entry"}
#: slow endpoints that only build files from valid input are still fuzzed, just not more often
EXPLAINED = re.compile(r'class="(?:[^"]*\b)?error\b|role="alert"|<h1>4\d\d</h1>|id="refused"')

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
values = st.one_of(
    text,
    st.integers(min_value=-2**70, max_value=2**70).map(str),
    st.sampled_from(["", " ", "0", "-1", "1e309", "nan", "inf", "y", "on", "true", "\x00", "a\x00b", "../../etc/passwd",
                     "<script>alert(1)</script>", "' OR 1=1 --", "%s%n%x", "２０", "٣", "1" * 400, "😀" * 50,
                     "2026-13-45T25:61", "0x10", "[]", "{}"]),
    st.builds(lambda c, n: c * n, st.sampled_from(["x", "中", "\u202e"]), st.integers(1000, 70_000)),
)


def _urls(app, world, methods):
    out = []
    with app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if rule.endpoint in ("static", "auth.logout"):
                continue
            args = {}
            for name in rule.arguments:
                if name in PARAMS:
                    args[name] = world[PARAMS[name]]
                elif rule._converters[name].__class__.__name__ == "IdConverter":
                    args[name] = 1
                else:
                    args[name] = "x"
            for method in methods & rule.methods:
                out.append((rule.endpoint, method, url_for(rule.endpoint, **args)))
    return out


def _counts(app):
    with app.app_context():
        return {t.name: db.session.execute(select(func.count()).select_from(t)).scalar()
                for t in db.metadata.sorted_tables}


def _field_names(app, clients, urls):
    """Names of the inputs the pages themselves show, so the fuzzer also hits real fields."""
    names = {"csrf_token", "action", "confirm", "passphrase", "code", "group", "count", "format", "target",
             "campaigns", "role", "username", "password", "repeat", "current", "new", "status"}
    for endpoint, method, url in urls:
        if method == "GET" and not url.endswith((".pdf", ".xlsx", ".csv", ".json", ".yaml")):
            response = clients["admin"].get(url)
            if response.mimetype == "text/html":
                names.update(re.findall(r'name="([^"]+)"', response.get_data(as_text=True)))
    return sorted(names)


def _check(app, response, before, endpoint, what):
    status = response.status_code
    assert status < 500, f"{what}: {status}"
    if status >= 400:
        body = response.get_data(as_text=True)
        if response.mimetype == "text/html":
            assert EXPLAINED.search(body), f"{what}: {status} without a message:\n{body[:1500]}"
        after = _counts(app)
        if endpoint == "auth.login":  # a lockout is logged even though the login is refused
            before, after = dict(before, audit_log=0), dict(after, audit_log=0)
        assert after == before, f"{what}: refused with {status} but rows changed"


def _clients(app, client_as):
    clients = {role: client_as(USERNAMES[role]) for role in ROLES if role}
    clients[None] = app.test_client()
    return clients


def test_fuzz_posts(app, world, client_as):
    clients = _clients(app, client_as)
    posts = _urls(app, world, {"POST"})
    names = _field_names(app, clients, _urls(app, world, {"GET"}))
    assert len(posts) > 15

    @settings(max_examples=120, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(role=st.sampled_from(ROLES), target=st.sampled_from(posts),
           form=st.dictionaries(st.one_of(st.sampled_from(names), text), st.one_of(values, st.lists(values, max_size=3)),
                                max_size=8))
    def fuzz(role, target, form):
        endpoint, method, url = target
        before = _counts(app)
        response = clients[role].post(url, data=form)
        _check(app, response, before, endpoint, f"{role} POST {url} {str(form)[:300]!r}")

    fuzz()


def test_fuzz_query_strings(app, world, client_as):
    clients = _clients(app, client_as)
    gets = [u for u in _urls(app, world, {"GET"}) if not u[2].endswith((".pdf", ".xlsx"))]

    @settings(max_examples=80, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(role=st.sampled_from(ROLES), target=st.sampled_from(gets),
           query=st.dictionaries(st.one_of(st.sampled_from(["page", "next", "action", "actor", "r", "status", "lang",
                                                            "group", "target", "sort"]), text), values, max_size=4))
    def fuzz(role, target, query):
        endpoint, method, url = target
        before = _counts(app)
        response = clients[role].get(url, query_string=query)
        _check(app, response, before, endpoint, f"{role} GET {url} {str(query)[:300]!r}")
        if response.status_code in (301, 302, 303):
            location = response.headers["Location"]
            assert location.startswith("/") and not location.startswith("//"), location

    fuzz()
