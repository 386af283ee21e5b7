"""Every route of the URL map, with every role and an anonymous visitor, against the ENDPOINTS table.

The walk is generic: URL parameters are filled from real objects of the `world` fixture by
name, so a route added later is walked too, and one missing from ENDPOINTS fails here."""
from flask import url_for

from survey_app import security

ROLES = ("admin", "staff", "clerk", "leader", "auditor", "officer")
#: URL parameter name -> key of the `world` fixture (objects the leader may see: campaign A, own target;
#: the public link of the open campaign B, since A no longer takes answers)
PARAMS = {
    "campaign_id": "campaign_a", "target_id": "target_a", "campaign_target_id": "link_a",
    "group_id": "group_a", "code": "code_a", "token": "token_b", "version_id": "version",
    "user_id": "scoped_staff", "entry_id": "audit_entry",
}


def url_args(rule, world) -> dict:
    args = {}
    for name in rule.arguments:
        if name in PARAMS:
            args[name] = world[PARAMS[name]]
        elif rule._converters[name].__class__.__name__ in ("IdConverter", "IntegerConverter", "FloatConverter"):
            args[name] = 1
        elif name == "filename":
            args[name] = "app.css"
        else:
            args[name] = "x"
    return args


def expected_allowed(rule_roles, role, method) -> bool:
    """The table read independently of `security.role_allows`."""
    if rule_roles == security.PUBLIC:
        return True
    if role is None or role not in rule_roles:
        return False
    return role != "auditor" or method == "GET"


def walk(app, world):
    with app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            url = url_for(rule.endpoint, **url_args(rule, world))
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule.endpoint, method, url


def test_every_endpoint_is_in_the_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - security.ENDPOINTS.keys())
    assert not missing, f"add these endpoints to security.ENDPOINTS: {missing}"
    stale = sorted(security.ENDPOINTS.keys() - endpoints)
    assert not stale, f"ENDPOINTS lists endpoints that no route has: {stale}"
    for endpoint, rule in security.ENDPOINTS.items():
        assert rule == security.PUBLIC or (isinstance(rule, frozenset) and rule <= set(ROLES)), endpoint


def test_an_unlisted_endpoint_is_refused(app, users):
    app.add_url_rule("/forgotten-route", "forgotten", lambda: "secret")
    assert "forgotten" not in security.ENDPOINTS
    admin = app.test_client()
    assert admin.post("/login", data={"username": "admin", "password": users}).status_code == 302
    assert admin.get("/forgotten-route").status_code == 403
    response = app.test_client().get("/forgotten-route")
    assert response.status_code == 403 and b"secret" not in response.data


def test_every_route_with_every_role(app, world, client_as):
    usernames = {"admin": "admin", "staff": "staff", "clerk": "clerk", "auditor": "auditor", "leader": "leader",
                 "officer": "officer"}
    failures, checked = [], 0
    for role in (None, *ROLES):
        client = client_as(usernames[role]) if role else app.test_client()
        for endpoint, method, url in walk(app, world):
            if endpoint == "static":
                continue
            allowed = expected_allowed(security.ENDPOINTS[endpoint], role, method)
            try:
                response = client.open(url, method=method, data={})
            except Exception as error:  # an exception escaping a view is a 500 too
                failures.append(f"{role} {method} {url}: {type(error).__name__}: {error}")
                continue
            checked += 1
            status, location = response.status_code, response.headers.get("Location", "")
            if status >= 500:
                failures.append(f"{role} {method} {url}: {status}")
            elif allowed and (status == 403 or (status == 302 and "/login" in location and endpoint != "auth.logout")):
                failures.append(f"{role} {method} {url}: refused ({status}) but the table allows it")
            elif not allowed and role is None and not (status == 302 and "/login?next=" in location):
                failures.append(f"anonymous {method} {url}: {status}, expected a redirect to the login")
            elif not allowed and role is not None and status != 403:
                failures.append(f"{role} {method} {url}: {status}, expected 403")
            if endpoint == "auth.logout" and role:
                client = client_as(usernames[role])
    assert checked > 100
    assert not failures, "\n".join(failures)
