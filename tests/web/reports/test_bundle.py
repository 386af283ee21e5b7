"""The open results bundle: downloadable by anyone, recomputable by `python -m scoring`."""
import csv
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

from sqlalchemy import select

from survey_app.extensions import db

ROOT = Path(__file__).resolve().parents[3]


def _bundle(client, code="rep"):
    response = client.get(f"/results/{code}/bundle.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    return {name.split("/", 1)[1]: archive.read(name) for name in archive.namelist()}


def test_bundle_is_self_contained_and_its_readme_command_reproduces_the_hash(app, client, published_campaign,
                                                                            tmp_path):
    """Unpacked alone, with no platform on the path: the README's command gives the published hash."""
    import hashlib
    import re
    from survey_app.models import Campaign
    files = _bundle(client)
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    with app.app_context():
        campaign = db.session.get(Campaign, published_campaign)
        sha = campaign.published_sha256
        names = {t.code: t.name_en for t in campaign.targets}
    assert hashlib.sha256(files["results.json"]).hexdigest() == sha  # what `sha256sum results.json` prints
    readme = files["README.txt"].decode("utf-8")
    command = re.search(r"venv/bin/python (-m scoring [^\n]+)", readme).group(1).split()
    assert "scoring-method.md" in readme and "scoring-method.md" in files
    assert files["scoring-method.md"].decode("utf-8").startswith("#")
    assert "scoring/__main__.py" in files and "scoring/engine.py" in files
    targets = list(csv.DictReader(io.StringIO(files["targets.csv"].decode("utf-8"))))
    assert {row["target"]: row["name_en"] for row in targets} == names
    done = subprocess.run([sys.executable, *command], cwd=tmp_path, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONNOUSERSITE": "1"})
    assert done.returncode == 0, done.stderr
    assert hashlib.sha256((tmp_path / "recomputed.json").read_bytes()).hexdigest() == sha
    assert sha in readme


def test_bundle_recomputes_to_the_published_results(app, client, published_campaign, tmp_path):
    from survey_app.models import Ballot, Campaign, Receipt
    files = _bundle(client)
    assert {"answers.csv", "method.json", "results.json", "receipts.txt", "README.txt", "targets.csv",
            "scoring-method.md"} <= set(files)
    for name in ("answers.csv", "method.json"):
        (tmp_path / name).write_bytes(files[name])
    done = subprocess.run([sys.executable, "-m", "scoring", "answers.csv", "method.json"], cwd=tmp_path,
                          capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    recomputed = json.loads(done.stdout)
    with app.app_context():
        campaign = db.session.get(Campaign, published_campaign)
        published = campaign.published_results
        ballot_ids = set(db.session.execute(select(Ballot.id)).scalars())
        receipts = db.session.execute(select(Receipt.fingerprint).where(
            Receipt.campaign_id == campaign.id).order_by(Receipt.fingerprint)).scalars().all()
        rating = {item.code for item in campaign.questionnaire_version.parsed.rating_items()}
    assert recomputed == published
    assert json.loads(files["results.json"]) == published
    rows = list(csv.DictReader(io.StringIO(files["answers.csv"].decode("utf-8"))))
    assert rows and set(rows[0]) == {"ballot", "group", "target", "item", "option"}
    bundle_ids = {row["ballot"] for row in rows}
    assert len(bundle_ids) == published["ballots"] == 10
    assert not bundle_ids & ballot_ids  # fresh ids, never the database's
    assert {row["item"] for row in rows} <= rating  # rating items only: no comments, no contact question
    assert files["receipts.txt"].decode().split() == receipts
    readme = files["README.txt"].decode("utf-8")
    assert "python -m scoring answers.csv method.json" in readme and "复核" in readme


def test_public_page_links_the_bundle_and_unpublished_has_none(app, client, published_campaign, make_campaign):
    html = client.get("/results/rep").get_data(as_text=True)
    assert "/results/rep/bundle.zip" in html and "python -m scoring" in html
    make_campaign(code="running")
    assert client.get("/results/running/bundle.zip").status_code == 404
    assert client.get("/results/nothing/bundle.zip").status_code == 404


def test_ranking_hidden_when_the_campaign_shows_no_ranks(app, client, counted_campaign):
    from survey_app.admin import operations
    from survey_app.models import Campaign
    with app.app_context():
        campaign = db.session.get(Campaign, counted_campaign)
        campaign.show_ranks = False
        db.session.commit()
        operations.publish_campaign(campaign)
    html = client.get("/results/rep").get_data(as_text=True)
    assert "public-ranking" not in html and "Unit 1" not in html
    assert "/results/rep/bundle.zip" in html


def test_the_public_page_never_reads_the_bundle_itself(app, client, published_campaign):
    """The bundle is large (69 MB at 200,000 ballots): the public page asks only whether there is one."""
    from sqlalchemy import event

    from survey_app.extensions import db
    with app.app_context():
        engine = db.engine
    statements = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        html = client.get("/results/rep").get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert "/results/rep/bundle.zip" in html
    assert any("campaigns" in s for s in statements)
    # (its length, from the row's header: SQLite reads a blob whole to say it is not NULL)
    asked = "length(campaigns.published_bundle) IS NOT NULL"
    assert not [s for s in statements if "published_bundle" in s.replace(asked, "")]
    assert client.get("/results/rep/bundle.zip").status_code == 200
