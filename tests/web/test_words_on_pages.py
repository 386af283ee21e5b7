"""Words on staff pages, each a defect once seen in Chromium: one English word that meant two things
(a paper ballot's and an officer's "Sheet"), a dimension headed 姓名（名称）, an awkward 任意这么多名,
raw keys and Python dictionaries on the audit page, and an opening form that lost the officers'
names on an error."""
import ast
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Campaign

from tests.web.helpers import PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]
AUDIT = "/admin/audit"


def zh(client):
    client.set_cookie("lang", "zh_CN")
    return client


def page_text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_an_officers_instruction_sheet_is_not_called_a_ballot(app, login, campaign_id):
    staff = zh(login("admin"))
    officers = staff.get(f"/admin/campaigns/{campaign_id}/officers")
    html = officers.get_data(as_text=True)
    assert officers.status_code == 200
    table = html.split("<table", 1)[1].split("</table>", 1)[0]
    assert "测评票" not in table and "须知" in table and "姓名" in table


def test_a_paper_sheet_is_still_a_ballot(app, as_user, make_campaign):
    from survey_app.auth.operations import create_user
    from survey_app.paper import sheets
    cid = make_campaign(code="pz", groups=[("hall", 1.0, "code")])
    with app.app_context():
        create_user("clerk9", "test-password-123", "clerk")
        campaign = db.session.get(Campaign, cid)
        number = sheets.print_batch(campaign, campaign.group("hall"), 1, "staff").first_number
    clerk = zh(as_user("clerk9"))
    html = clerk.get(f"/paper/{cid}/sheets/{number}").get_data(as_text=True)
    assert re.search(r"<h1>\s*测评票", html)


def test_a_dimension_is_headed_name_not_a_persons_name(app, login):
    import questionnaires
    from survey_app.designer.operations import save_questionnaire
    with app.app_context():
        version_id = save_questionnaire(questionnaires.template("work_style")).id
    html = zh(login("admin")).get(f"/designer/versions/{version_id}").get_data(as_text=True)
    assert "姓名（名称）" not in html and "<th>名称</th>" in html


def test_the_officers_needed_hint_reads_plainly(app, login, make_campaign):
    cid = make_campaign(status="draft")
    text = page_text(zh(login("admin")).get(f"/admin/campaigns/{cid}/open"))
    assert "任意这么多名" not in text and "开启票箱所需的计票人人数" in text


@pytest.mark.parametrize("app", [{"MIN_PASSPHRASE_LENGTH": 20}], indirect=True)
def test_a_refused_panel_keeps_the_officers_names_on_the_form(app, login, make_campaign, open_form):
    """The panel check (here: passphrases shorter than this deployment's minimum) once answered
    with a redirect that dropped every name typed."""
    cid = make_campaign(status="draft")
    staff = login("admin")
    data = open_form(officers=(("Wang Fang", "seventeen chars!!"), ("Li Lei", "seventeen chars??")), threshold=2)
    response = staff.post(f"/admin/campaigns/{cid}/open", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="Wang Fang"' in html and 'value="Li Lei"' in html
    assert 'role="alert"' in html
    with app.app_context():
        assert db.session.get(Campaign, cid).status == "draft"


def _audit_calls():
    """(action, detail keys) of every audit.record call in the code."""
    for path in (ROOT / "survey_app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "record"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "audit"):
                first = node.args[0]
                actions = ([first.value] if isinstance(first, ast.Constant) else
                           [n.value for n in ast.walk(first) if isinstance(n, ast.Constant) and isinstance(n.value, str)])
                keys = [kw.arg for kw in node.keywords if kw.arg] + [
                    k.value for kw in node.keywords if kw.arg is None and isinstance(kw.value, ast.Dict)
                    for k in kw.value.keys if isinstance(k, ast.Constant)]
                yield path.name, actions, keys


def test_every_audit_action_and_detail_has_words():
    from survey_app.labels import LABELS
    calls = list(_audit_calls())
    assert len(calls) > 30
    missing = sorted({f"{where}: action {a}" for where, actions, _ in calls for a in actions
                      if a not in LABELS["action"]} |
                     {f"{where}: detail {k}" for where, _, keys in calls for k in keys if k not in LABELS["detail"]})
    assert not missing, missing


def test_the_audit_page_shows_words_and_changes_not_keys_and_dicts(app, login, campaign_id):
    from survey_app.admin import operations
    with app.app_context():
        group = db.session.get(Campaign, campaign_id).group("staff")
        operations.update_group(group, name_zh=group.name_zh, name_en=group.name_en, weight=0.25, expected=40)
    admin = zh(login("admin"))
    html = admin.get(AUDIT).get_data(as_text=True)
    text = page_text_of(html)
    assert "{'" not in html and "campaign.open" not in text and "group.update" not in text
    assert "修改评议主体" in text
    assert re.search(r"权重: 0\.4 → 0\.25", text), text[text.find("权重"):][:200]
    assert re.search(r"应参评人数: (0|—) → 40", text)
    assert "group:" not in text


def page_text_of(html: str) -> str:
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def test_campaign_open_in_the_audit_log_names_its_officers_readably(app, login, campaign_id):
    text = page_text_of(zh(login("admin")).get(AUDIT).get_data(as_text=True))
    assert "开启测评活动" in text
    assert "开箱所需人数: 1" in text and "(序号: 1; 姓名: Counting officer; 账户: —; 签名公钥: " in text
