"""A public rating's bundle: items.csv says what each leader was asked, `python -m scoring` recomputes the
published numbers (each commitment's own figures included), and the signed results pin the items."""
import csv
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

from sqlalchemy import text

from survey_app.extensions import db
from tests.web.helpers import close_and_count
from tests.web.rating import make_rating_campaign

ROOT = Path(__file__).resolve().parents[3]


def _published(app, submit_ballots):
    from survey_app.admin.operations import publish_campaign
    from survey_app.models import Campaign
    campaign_id, ids = make_rating_campaign(app)
    for group, n, option in (("staff", 3, "A"), ("staff", 2, "B"), ("public", 2, "C")):
        submit_ballots(campaign_id, group, n=n, option=option)
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        close_and_count(campaign)
        publish_campaign(campaign)
    return campaign_id, ids


def test_the_bundle_lists_the_items_and_recomputes_to_the_published_results(app, client, submit_ballots, tmp_path):
    from survey_app.models import Campaign
    campaign_id, ids = _published(app, submit_ballots)
    response = client.get("/results/pr/bundle.zip")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    files = {name.split("/", 1)[1]: archive.read(name) for name in archive.namelist()}
    rows = list(csv.DictReader(io.StringIO(files["items.csv"].decode("utf-8"))))
    assert [(r["code"], r["target"], r["dimension"], r["weight"], r["text_zh"]) for r in rows] == [
        (f"p.{ids['a1']}", "pr-a", "kept", "1", "新建幼儿园5所"), (f"p.{ids['a2']}", "pr-a", "kept", "1", "改造老旧小区20个"),
        (f"p.{ids['b1']}", "pr-b", "kept", "1", "治理黑臭水体3处")]
    assert rows[0]["text_en"] == "Build five nurseries"
    for name in ("answers.csv", "method.json"):
        (tmp_path / name).write_bytes(files[name])
    done = subprocess.run([sys.executable, "-m", "scoring", "answers.csv", "method.json"], cwd=tmp_path,
                          capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    recomputed = json.loads(done.stdout)
    with app.app_context():
        published = db.session.get(Campaign, campaign_id).published_results
    assert recomputed == published == json.loads(files["results.json"])
    answers = list(csv.DictReader(io.StringIO(files["answers.csv"].decode("utf-8"))))
    assert {(r["target"], r["item"]) for r in answers if r["item"].startswith("p.")} == {
        ("pr-a", f"p.{ids['a1']}"), ("pr-a", f"p.{ids['a2']}"), ("pr-b", f"p.{ids['b1']}")}
    by_target = {t["target"]: t for t in published["targets"]}
    a1 = by_target["pr-a"]["items"][f"p.{ids['a1']}"]
    # staff (weight 1): 3 × A (100) and 2 × B (70); public (weight 1): 2 × C (40)
    assert a1["n"] == 7 and abs(a1["score"] - (0.5 * 88 + 0.5 * 40)) < 1e-9 and a1["ci95"][0] < a1["score"]
    assert set(by_target["pr-b"]["items"]) == {f"p.{ids['b1']}"}
    assert f"p.{ids['a1']}" not in by_target["pr-b"]["groups"]["staff"]["items"]
    # the signed results pin what was asked: an item edited behind the application's back is found
    from survey_app.results import signatures
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert signatures.verify_campaign(campaign) == []
        # behind the application's back (it refuses to change them): the words of a question edited
        db.session.execute(text("UPDATE campaign_items SET text_zh = '改过的问题' WHERE code = :c"),
                           {"c": f"p.{ids['b1']}"})
        db.session.commit()
        db.session.expire_all()
        problems = signatures.verify_campaign(db.session.get(Campaign, campaign_id))
        assert any("asked of one target only" in p for p in problems)


def test_the_results_page_and_reports_show_each_commitments_figures(app, login, submit_ballots):
    campaign_id, ids = _published(app, submit_ballots)
    client = login("admin")
    page = client.get(f"/admin/campaigns/{campaign_id}/results",
                              headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    table = page[page.index('id="specific-results"'):]
    row = table[table.index(f'data-item="p.{ids["a1"]}"'):]
    assert "新建幼儿园5所" in row and "64.00" in row[:row.index("</tr>")]
    # each leader's feedback report lists their own commitments' rows only
    from survey_app.models import Target
    with app.app_context():
        leader = {t.code: t.id for t in db.session.query(Target)}
    a = client.get(f"/reports/{campaign_id}/targets/{leader['pr-a']}", headers={"Accept-Language": "zh-CN"})
    b = client.get(f"/reports/{campaign_id}/targets/{leader['pr-b']}", headers={"Accept-Language": "zh-CN"})
    assert a.status_code == b.status_code == 200
    row = '<span class="item-code">p.{}</span>'.format
    a, b = a.get_data(as_text=True), b.get_data(as_text=True)
    assert row(ids["a1"]) in a and row(ids["a2"]) in a and row(ids["b1"]) not in a
    assert row(ids["b1"]) in b and row(ids["a1"]) not in b
