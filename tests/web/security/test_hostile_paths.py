"""Hypothesis puts hostile values into every URL parameter of every route (the URL map is
walked, so a route added later is walked too), as every role, on SQLite and PostgreSQL:
out of range, negative, huge, non-ASCII or very long values are a 4xx, never a 5xx."""
import re
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey_app.routing import MAX_ID

ROLES = (None, "admin", "staff", "clerk", "leader", "auditor", "officer")
#: valid values for the parameters that are not being attacked
PARAMS = {"campaign_id": "campaign_a", "target_id": "target_a", "campaign_target_id": "link_a",
          "group_id": "group_a", "code": "code_a", "token": "token_b", "version_id": "version",
          "user_id": "scoped_staff"}
HOSTILE_NUMBERS = ["0", "-1", "00", "007", str(MAX_ID + 1), str(2**32), str(2**63), str(2**64),
                   "99999999999999999999", "9" * 5000, "1e3", "0x10", "١٢", "１", "3.0", "+1", " 1"]
hostile = st.one_of(
    st.sampled_from(HOSTILE_NUMBERS),
    st.integers(min_value=-2**80, max_value=2**80).map(str),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30),
    st.builds(lambda c, n: c * n, st.sampled_from(["x", "中", "%", "\u202e", "😀", "\x00", "/", "."]),
              st.integers(1, 3000)),
    st.sampled_from(["..", "%2e%2e", "a\x00b", "<script>", "' OR 1=1 --", "NaN", "inf", "null"]),
)
PLACEHOLDER = re.compile(r"<(?:(\w+):)?(\w+)>")


def routes(app):
    out = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static" or not rule.arguments:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((rule.rule, sorted(rule.arguments), method))
    return out


def build(template: str, world: dict, attacked: str, value: str) -> str:
    def fill(match):
        name = match.group(2)
        if name == attacked:
            return quote(value, safe="")
        return quote(str(world.get(PARAMS.get(name, ""), 1)), safe="")
    return PLACEHOLDER.sub(fill, template)


def test_every_route_refuses_hostile_path_values(app, world, client_as):
    clients = {role: client_as(role) for role in ROLES if role}
    clients[None] = app.test_client()
    targets = routes(app)
    assert len(targets) > 40

    @settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(role=st.sampled_from(ROLES), target=st.sampled_from(targets), data=st.data(), value=hostile)
    def walk(role, target, data, value):
        template, arguments, method = target
        attacked = data.draw(st.sampled_from(arguments))
        url = build(template, world, attacked, value)
        response = clients[role].open(url, method=method, data={})
        assert response.status_code < 500, f"{role} {method} {url[:200]}: {response.status_code}"

    walk()


def test_each_hostile_number_on_each_id_route(app, world, client_as):
    """Every listed hostile number on every id parameter: a 404 (or a refusal before the lookup)."""
    admin = client_as("admin")
    anonymous = app.test_client()
    for template, arguments, method in routes(app):
        for name in arguments:
            if f"<id:{name}>" not in template:
                continue
            for value in HOSTILE_NUMBERS:
                url = build(template, world, name, value)
                for client in (admin, anonymous):
                    response = client.open(url, method=method, data={})
                    assert response.status_code in (302, 403, 404, 405), \
                        f"{method} {url[:120]}: {response.status_code}"
                    if response.status_code >= 400:
                        assert f"<h1>{response.status_code}</h1>" in response.get_data(as_text=True)


def test_the_reported_urls_answer_404(app, world, client_as):
    """The requests of the issue that got a 500."""
    admin = client_as("admin")
    anonymous = app.test_client()
    assert anonymous.get("/answer/report/99999999999999999999.pdf").status_code == 404
    assert anonymous.get("/answer/report/2147483648.pdf").status_code == 404
    for url in ("/reports/99999999999999999999/targets/1", f"/reports/{world['campaign_a']}/targets/2147483648",
                "/admin/campaigns/99999999999999999999", f"/paper/{world['campaign_a']}/sheets/99999999999999999999",
                "/designer/versions/99999999999999999999", "/admin/campaigns/2147483648",
                "/admin/users/9223372036854775808"):
        assert admin.get(url).status_code == 404, url
