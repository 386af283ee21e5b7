"""Every campaign's results are signed by the officers who count them, and anyone can check:
`audit verify` and the bundle's own script both detect a stored tally edited, alone or with its hash,
and a signature by an officer who was not among those who counted."""
import io
import json
import subprocess
import sys
import zipfile

import pytest
from sqlalchemy import text

from survey_app.admin import operations
from survey_app.ballots import keys, signing
from survey_app.extensions import db
from survey_app.models import Campaign, ResultSigner
from survey_app.results import signatures

OFFICERS = [("甲", "first officer passphrase"), ("乙", "second officer passphrase"),
            ("丙", "third officer passphrase")]


@pytest.fixture
def signed_campaign(app, make_campaign, submit_ballots):
    """A sector-style campaign opened for a panel of 2 of 3, counted by officers 1 and 3, published."""
    cid = make_campaign(code="signed", status="draft")
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        operations.open_campaign(campaign, [keys.Officer(n, p) for n, p in OFFICERS], 2)
    submit_ballots(cid, group="public", n=6)
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        # Officer 2, who will not come to the count, copies their own signing seed beforehand.
        _share, seed = keys._open(keys.load_panel(campaign).officer(2), OFFICERS[1][1])
        app.config["KEPT_SEED"] = seed
        operations.close_campaign(campaign)
        operations.count_campaign(campaign, {1: OFFICERS[0][1], 3: OFFICERS[2][1]})
        operations.publish_campaign(campaign)
    return cid


def _unpack(app, cid, tmp_path):
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        data, code = campaign.published_bundle, campaign.code
    zipfile.ZipFile(io.BytesIO(data)).extractall(tmp_path)
    return tmp_path / code


def _check(folder) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "verify_signatures.py"], cwd=folder, capture_output=True, text=True)


def test_the_officers_who_counted_sign_and_anyone_can_check(app, signed_campaign, runner, tmp_path):
    with app.app_context():
        campaign = db.session.get(Campaign, signed_campaign)
        assert campaign.results_sha256 == campaign.published_sha256 == signing.results_sha256(campaign.published_results)
        found = signatures.signers(campaign)
        assert [(s.position, s.signature is not None) for s in found] == [(1, True), (2, False), (3, True)]
        assert signing.check(campaign.code, campaign.results_sha256, found, campaign.signatures_needed) == []
        # the seeds went with the shares: nobody can sign again
        assert db.session.execute(text("SELECT count(*) FROM counting_officers")).scalar() == 0
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    folder = _unpack(app, signed_campaign, tmp_path)
    shown = json.loads((folder / "signatures.json").read_text(encoding="utf-8"))
    assert shown["threshold"] == 2 and [o["position"] for o in shown["officers"] if o["signature"]] == [1, 3]
    result = _check(folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stdout and "verify_signatures.py" in (folder / "README.txt").read_text(encoding="utf-8")


def _edit(app, cid, tally=True, hashes=False):
    """Change one number of the stored results straight in the database, and with `hashes` their hashes too."""
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        for column in ("published_results", "counted_results"):
            data = json.loads(json.dumps(getattr(campaign, column)))
            data["targets"][0]["score"] = (data["targets"][0]["score"] or 0) + 7
            db.session.execute(text(f"UPDATE campaigns SET {column} = :v WHERE id = :id"),
                               {"v": json.dumps(data), "id": cid})
        if hashes:
            sha = signing.results_sha256(data)
            db.session.execute(text("UPDATE campaigns SET published_sha256 = :s, results_sha256 = :s WHERE id = :id"),
                               {"s": sha, "id": cid})
        db.session.commit()


@pytest.mark.parametrize("hashes", [False, True], ids=["tally", "tally-and-hash"])
def test_an_edited_tally_is_detected(app, signed_campaign, runner, hashes):
    _edit(app, signed_campaign, hashes=hashes)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    expected = "does not match the results" if hashes else "do not match their stored hash"
    assert expected in result.output


def test_the_bundle_detects_an_edited_results_json(app, signed_campaign, tmp_path):
    folder = _unpack(app, signed_campaign, tmp_path)
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    results["targets"][0]["score"] = 12.5
    from scoring import canonical_json
    (folder / "results.json").write_bytes(canonical_json(results))
    assert _check(folder).returncode == 1
    # ... and with the hash in signatures.json changed to match: the signatures fail
    shown = json.loads((folder / "signatures.json").read_text(encoding="utf-8"))
    shown["results_sha256"] = signing.results_sha256(results)
    (folder / "signatures.json").write_text(json.dumps(shown), encoding="utf-8")
    result = _check(folder)
    assert result.returncode == 1 and "SIGNATURE INVALID" in result.stdout


@pytest.mark.parametrize("positions", [[1, 3], [1, 2, 3]], ids=["as-the-others-signed", "naming-themself"])
def test_a_signature_by_an_officer_who_did_not_count_fails(app, signed_campaign, runner, positions):
    """Officer 2 kept a copy of their own seed from before counting and signs the true results
    afterwards: over the others' list of signers, or over a list that names them too."""
    seed = app.config["KEPT_SEED"]
    with app.app_context():
        campaign = db.session.get(Campaign, signed_campaign)
        assert signing.verify_key_of(seed) == db.session.get(ResultSigner, (campaign.id, 2)).verify_key
        message = signing.message(campaign.code, campaign.results_sha256, 2, positions)
        db.session.execute(text("UPDATE result_signers SET signature = :s WHERE campaign_id = :c AND position = 2"),
                           {"s": signing.sign(seed, message), "c": campaign.id})
        db.session.commit()
        problems = signatures.verify_campaign(campaign)
        assert problems and all("does not match the results and the officers who counted" in p for p in problems)
    assert runner.invoke(args=["audit", "verify"]).exit_code == 1


def test_the_bundle_refuses_a_signature_by_an_officer_who_did_not_count(app, signed_campaign, tmp_path):
    folder = _unpack(app, signed_campaign, tmp_path)
    shown = json.loads((folder / "signatures.json").read_text(encoding="utf-8"))
    officer = next(o for o in shown["officers"] if o["position"] == 2)
    assert officer["signature"] is None and officer["public_key"] == signing.verify_key_of(app.config["KEPT_SEED"]).hex()
    message = signing.message(shown["campaign"], shown["results_sha256"], 2, [1, 3])
    officer["signature"] = signing.sign(app.config["KEPT_SEED"], message).hex()
    (folder / "signatures.json").write_text(json.dumps(shown), encoding="utf-8")
    result = _check(folder)
    assert result.returncode == 1 and "SIGNATURE INVALID" in result.stdout


def test_a_signing_key_swapped_in_the_database_is_detected(app, signed_campaign, runner):
    """Whoever rewrites tally, hash, keys and signatures together still differs from the keys the
    audit log recorded (and the officers' printed sheets)."""
    with app.app_context():
        campaign = db.session.get(Campaign, signed_campaign)
        forged = json.loads(json.dumps(campaign.published_results))
        forged["targets"][0]["score"] = 12.5
        sha = signing.results_sha256(forged)
        seeds = {1: signing.new_key(), 3: signing.new_key()}
        message = signing.message(campaign.code, sha, 2, [1, 3])
        for position, seed in seeds.items():
            db.session.execute(text("UPDATE result_signers SET verify_key = :k, signature = :s WHERE campaign_id = :c "
                                    "AND position = :p"), {"k": bytes(seed.verify_key), "p": position, "c": campaign.id,
                                                           "s": signing.sign(bytes(seed), message)})
        db.session.execute(text("UPDATE campaigns SET published_results = :r, counted_results = :r, "
                                "published_sha256 = :s, results_sha256 = :s WHERE id = :id"),
                           {"r": json.dumps(forged), "s": sha, "id": campaign.id})
        db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "differ from those recorded" in result.output


def test_a_box_sealed_before_signing_is_counted_unsigned(app, make_campaign, submit_ballots, runner):
    cid = make_campaign(code="old", status="open")
    with app.app_context():  # as migration 0007 leaves a box opened before it: no signing keys
        db.session.execute(text("UPDATE counting_officers SET sealed_signing_key = NULL"))
        db.session.execute(text("DELETE FROM result_signers"))
        db.session.commit()
    submit_ballots(cid, group="public", n=6)
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        operations.close_campaign(campaign)
        operations.count_campaign(campaign, "correct horse battery staple")
        assert signatures.state(campaign) == "unsigned" and campaign.results_sha256
        operations.publish_campaign(campaign)
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_after_a_re_share_the_new_officers_sign(app, make_campaign, submit_ballots, runner):
    cid = make_campaign(code="reshared", status="draft")
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        operations.open_campaign(campaign, [keys.Officer(n, p) for n, p in OFFICERS], 2)
        old_keys = [s.verify_key for s in signatures.signers(campaign)]
        operations.reshare_officers(campaign, {1: OFFICERS[0][1], 2: OFFICERS[1][1]},
                                    [keys.Officer("丁", "fourth officer passphrase"),
                                     keys.Officer("戊", "fifth officer passphrase")], 2)
        new = signatures.signers(campaign)
        assert [s.name for s in new] == ["丁", "戊"] and not {s.verify_key for s in new} & set(old_keys)
    submit_ballots(cid, group="public", n=6)
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        operations.close_campaign(campaign)
        operations.count_campaign(campaign, {1: "fourth officer passphrase", 2: "fifth officer passphrase"})
        assert signatures.verify_campaign(campaign) == [] and signatures.state(campaign) == "signed"
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
