"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, literal_column, text

from survey_app.extensions import db


def test_upgrade_matches_models_and_downgrades(app):
    with app.app_context():
        db.drop_all()
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert differences == []
        flask_migrate.downgrade(revision="base")
        tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def test_0003_moves_keys_off_campaigns_and_envelopes_into_the_inbox(app):
    """Data made under 0002 survives 0003: keys in their own table, envelopes waiting to be mixed."""
    with app.app_context():
        db.drop_all()
        flask_migrate.upgrade(revision="0002")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO questionnaires (id, code, kind, created_at) "
                              "VALUES (1, 'q', 'decision', '2026-01-01')"))
            conn.execute(text("INSERT INTO questionnaire_versions (id, questionnaire_id, number, status, definition) "
                              "VALUES (1, 1, 1, 'published', '{}')"))
            for cid, counted in ((1, None), (2, "2026-02-01")):
                conn.execute(text(
                    "INSERT INTO campaigns (id, code, kind, title_zh, title_en, questionnaire_version_id, status, "
                    "min_group_size, trim, show_ranks, hotline, contact, created_at, public_key, sealed_private_key, "
                    "kdf_salt, kdf_opslimit, kdf_memlimit, counted_at) VALUES (:id, :code, 'decision', 't', 't', 1, "
                    "'open', 5, 0, true, '', '', '2026-01-01', :pk, :sk, :salt, 2, 67108864, :counted)"),
                    {"id": cid, "code": f"c{cid}", "pk": b"p" * 32, "sk": b"s" * 72, "salt": b"n" * 16,
                     "counted": counted})
            conn.execute(text("INSERT INTO respondent_groups (id, campaign_id, code, name_zh, name_en, weight, access, "
                              "expected, position) VALUES (1, 1, 'g', 'g', 'g', 1, 'code', 0, 0)"))
            conn.execute(text("INSERT INTO envelopes (id, campaign_id, group_id, sealed) VALUES ('e1', 1, 1, :s)"),
                         {"s": b"sealed"})
        flask_migrate.upgrade(revision="0003")
        with db.engine.connect() as conn:
            keys = conn.execute(text("SELECT campaign_id, sealed_private_key FROM ballot_box_keys")).all()
            inbox = conn.execute(text("SELECT campaign_id, sealed FROM envelope_inbox")).all()
            boxed = conn.execute(text("SELECT count(*) FROM envelopes")).scalar()
        assert [(k[0], bytes(k[1])) for k in keys] == [(1, b"s" * 72)]  # the counted campaign keeps none
        assert [(i[0], bytes(i[1])) for i in inbox] == [(1, b"sealed")] and boxed == 0
        assert "sealed_private_key" not in {c["name"] for c in inspect(db.engine).get_columns("campaigns")}
        flask_migrate.downgrade(revision="0002")
        with db.engine.connect() as conn:
            assert bytes(conn.execute(text("SELECT sealed FROM envelopes")).scalar_one()) == b"sealed"
            assert bytes(conn.execute(text("SELECT sealed_private_key FROM campaigns WHERE id = 1")).scalar_one()) \
                == b"s" * 72
        flask_migrate.downgrade(revision="base")
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def test_0004_packs_ballots_counted_under_0003_with_the_same_results(app, make_campaign):
    """Ballots stored by 0003's counting (one answers row per answer) become packed ballots
    whose results, answers and decision counts are those of the rows they came from."""
    import random

    import scoring
    import scoring.answers  # a lazy submodule: the test alone has not imported it yet

    from survey_app.results import adapter
    from survey_app.models import Campaign

    with app.app_context():
        db.drop_all()
        flask_migrate.upgrade()
    # Made as a draft under the models as they are (the ORM writes every column they have), then
    # taken down to 0003: opening would seal its box for a counting panel, a table 0003 does not
    # have yet; the campaign is then closed as 0003 would have it (ballots, counted_at below).
    cid = make_campaign(code="old", status="draft", n_targets=4, min_group_size=1)
    with app.app_context():  # what the rows below need, read while the models match the schema
        campaign = db.session.get(Campaign, cid)
        q, version_id = campaign.questionnaire_version.parsed, campaign.questionnaire_version_id
        targets = {t.code: t.id for t in campaign.targets}
        groups = {g.code: g.id for g in campaign.groups}
        method_json = adapter.method_dict(campaign)
        db.session.remove()
        flask_migrate.downgrade(revision="0003")
    rng = random.Random(4)
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE campaigns SET status = 'closed', opens_at = '2026-02-01 08:00:00', "
                              "closes_at = '2026-02-20 18:00:00' WHERE id = :c"), {"c": cid})
        scale = [o.code for o in q.scale.options]
        long_form, stored = [], set()
        with db.engine.begin() as conn:
            for b in range(40):
                ballot_id, group = f"{rng.getrandbits(128):032x}", rng.choice(sorted(groups))
                conn.execute(text("INSERT INTO ballots (id, campaign_id, group_id, questionnaire_version_id) "
                                  "VALUES (:i, :c, :g, :v)"),
                             {"i": ballot_id, "c": cid, "g": groups[group], "v": version_id})
                for item in q.items():
                    for target in (sorted(targets) if item.per_target else [None]):
                        if item.type == "text" or rng.random() < 0.15:  # some left unanswered
                            continue
                        option = rng.choice(scale) if item.type == "rating" else item.options[0].code
                        conn.execute(text("INSERT INTO answers (id, ballot_id, target_id, item_code, option) "
                                          "VALUES (:i, :b, :t, :item, :o)"),
                                     {"i": f"{rng.getrandbits(128):032x}", "b": ballot_id,
                                      "t": targets[target] if target else None, "item": item.code, "o": option})
                        stored.add((ballot_id, target, item.code, option))
                        if item.type == "rating" and target:
                            long_form.append((ballot_id, group, target, item.code, option))
            conn.execute(text("UPDATE campaigns SET counted_at = '2026-03-01 10:00:00' WHERE id = :c"), {"c": cid})
        columns = dict(zip(scoring.files.COLUMNS, zip(*long_form)))
        method = scoring.Method.from_dict(method_json, source="method.json")
        before = scoring.score(scoring.Answers.from_columns(**columns), method)
        db.session.remove()

        flask_migrate.upgrade()
        campaign = db.session.get(Campaign, cid)
        assert "answers" not in inspect(db.engine).get_table_names()
        assert adapter.compute(campaign) == before
        assert set(adapter.long_answers(campaign)) == stored
        assert sorted(zip(*adapter.answer_columns(campaign).values())) == sorted(long_form)
        db.session.remove()

        flask_migrate.downgrade(revision="0003")
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT a.ballot_id, t.code, a.item_code, a.option FROM answers a "
                                     "LEFT JOIN targets t ON t.id = a.target_id")).all()
        assert set(map(tuple, rows)) == stored
        flask_migrate.downgrade(revision="base")
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def test_0005_turns_a_one_passphrase_box_into_a_panel_of_one(app):
    """A box sealed under one passphrase before panels (schema 0004, packed ballots) is still
    opened by that passphrase after 0005; a counted campaign, whose key is gone, gets no panel."""
    from survey_app.ballots import keys, sealing
    from survey_app.models import Campaign
    old = sealing.make_keys("the old single passphrase", "interactive")
    with app.app_context():
        db.drop_all()
        flask_migrate.upgrade(revision="0004")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO questionnaires (id, code, kind, created_at) "
                              "VALUES (1, 'q', 'decision', '2026-01-01')"))
            conn.execute(text("INSERT INTO questionnaire_versions (id, questionnaire_id, number, status, definition) "
                              "VALUES (1, 1, 1, 'published', '{}')"))
            conn.execute(text(
                "INSERT INTO campaigns (id, code, kind, title_zh, title_en, questionnaire_version_id, status, "
                "min_group_size, trim, show_ranks, hotline, contact, created_at, public_key) VALUES (1, 'c1', "
                "'decision', 't', 't', 1, 'open', 5, 0, true, '', '', '2026-01-01', :pk)"), {"pk": old.public_key})
            conn.execute(text(
                "INSERT INTO campaigns (id, code, kind, title_zh, title_en, questionnaire_version_id, status, "
                "min_group_size, trim, show_ranks, hotline, contact, created_at, public_key, counted_at) VALUES "
                "(2, 'c2', 'decision', 't', 't', 1, 'closed', 5, 0, true, '', '', '2026-01-01', :pk, "
                "'2026-02-01')"), {"pk": b"p" * 32})
            conn.execute(text("INSERT INTO respondent_groups (id, campaign_id, code, name_zh, name_en, weight, access, "
                              "expected, position) VALUES (1, 2, 'g', 'g', 'g', 1, 'code', 0, 0)"))
            conn.execute(text("INSERT INTO ballots (id, campaign_id, group_id, questionnaire_version_id, ratings, "
                              "choices) VALUES ('b1', 2, 1, 1, :r, NULL)"), {"r": b"\x01\x02"})
            conn.execute(text("INSERT INTO ballot_box_keys (campaign_id, sealed_private_key, kdf_salt, kdf_opslimit, "
                              "kdf_memlimit) VALUES (1, :sk, :salt, :ops, :mem)"),
                         {"sk": old.sealed_private_key, "salt": old.salt, "ops": old.opslimit, "mem": old.memlimit})
        flask_migrate.upgrade()
        assert "ballot_box_keys" not in inspect(db.engine).get_table_names()
        campaign = db.session.get(Campaign, 1)
        panel = keys.load_panel(campaign)
        assert panel.threshold == 1 and len(panel.officers) == 1 and panel.sealed_private_key is None
        assert keys.panel(db.session.get(Campaign, 2)) is None and not keys.officers(db.session.get(Campaign, 2))
        with db.engine.connect() as conn:
            assert [(r[0], bytes(r[1])) for r in conn.execute(text("SELECT id, ratings FROM ballots"))] \
                == [("b1", b"\x01\x02")]
        private = keys.unlock_private_key(campaign, "the old single passphrase")
        assert bytes(private.public_key) == old.public_key
        with pytest.raises(keys.WrongOfficerPassphrase):
            keys.unlock_private_key(campaign, "not the old passphrase")
        db.session.remove()
        flask_migrate.downgrade(revision="0004")
        with db.engine.connect() as conn:
            assert bytes(conn.execute(text("SELECT sealed_private_key FROM ballot_box_keys")).scalar_one()) \
                == old.sealed_private_key
        with db.engine.begin() as conn:  # its made-up packing could not be unpacked by 0004's downgrade
            conn.execute(text("DELETE FROM ballots"))
        flask_migrate.downgrade(revision="base")
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def test_0006_gives_every_envelope_its_receipt_and_sqlite_a_rowid_box(app, make_campaign, backend, monkeypatch):
    """Envelopes in the inbox and the box under 0005 (no receipt column; SQLite: a box
    WITHOUT ROWID) are the same bytes after 0006, each with the receipt its respondent was
    shown, and after 0006's downgrade; counted, they give the results of what was submitted
    and the receipts of every envelope."""
    from survey_app.results import adapter
    from survey_app.ballots import mixing, sealing
    from survey_app.ballots import operations as ballots
    from survey_app.models import Campaign

    from .conftest import PASSPHRASE
    from .ballots.test_counting import assert_same, independent_results, submit_random

    def old_admit(campaign_id, group_id, sealed, receipt, _unmixed=None):  # what 0005's code wrote, and no mix
        # (written under the models as they are; the receipt goes with 0006's downgrade)
        db.session.execute(text("INSERT INTO envelope_inbox (id, campaign_id, group_id, sealed, receipt) "
                                "VALUES (:i, :c, :g, :s, '')"),
                           {"i": f"{len(sent):032x}", "c": campaign_id, "g": group_id, "s": sealed})
        sent.append(sealed)
        return False

    def stored(table, receipt=False):
        with db.engine.connect() as conn:
            rows = conn.execute(text(f"SELECT id, campaign_id, group_id, sealed{', receipt' if receipt else ''} "
                                     f"FROM {table}")).all()
        return sorted((r[0], r[1], r[2], bytes(r[3])) + tuple(r[4:]) for r in rows)

    def ddl(table):
        if backend != "sqlite":
            return ""
        with db.engine.connect() as conn:
            return conn.execute(text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": table}).scalar()

    sent = []
    with app.app_context():
        db.drop_all()
        flask_migrate.upgrade()
    # Opened and voted in under the models as they are (the ORM writes every column they have),
    # then taken down to 0005 with its envelopes, as 0005 would have held them.
    cid = make_campaign(code="box6", min_group_size=1)
    monkeypatch.setattr(mixing, "admit", old_admit)
    monkeypatch.setattr(ballots, "PIPELINED", False)  # PostgreSQL's one round trip puts the envelope itself
    monkeypatch.setattr(mixing, "unmixed_expression", lambda _campaign_id: literal_column("0"))  # no `mixed` yet
    monkeypatch.setattr(mixing, "mix", lambda *a, **k: 0)
    long_form = submit_random(app, cid, 30)
    with app.app_context():
        db.session.remove()
        flask_migrate.downgrade(revision="0005")
        with db.engine.begin() as conn:  # as 0005's mixer left it: a batch in the box, the rest waiting
            moved = [r[0] for r in conn.execute(text("SELECT id FROM envelope_inbox ORDER BY id LIMIT 20"))]
            for envelope_id in moved:
                conn.execute(text("INSERT INTO envelopes (campaign_id, id, group_id, sealed) SELECT campaign_id, "
                                  "id, group_id, sealed FROM envelope_inbox WHERE id = :i"), {"i": envelope_id})
                conn.execute(text("DELETE FROM envelope_inbox WHERE id = :i"), {"i": envelope_id})
        box, inbox = stored("envelopes"), stored("envelope_inbox")
        assert (len(box), len(inbox)) == (20, 10) and (backend != "sqlite" or "WITHOUT ROWID" in ddl("envelopes"))
        flask_migrate.upgrade()
        for table, before in (("envelopes", box), ("envelope_inbox", inbox)):
            after = stored(table, receipt=True)
            assert [r[:4] for r in after] == before
            assert [r[4] for r in after] == [sealing.fingerprint(r[3]) for r in before]
        assert "WITHOUT ROWID" not in ddl("envelopes") and (backend != "sqlite" or "WITHOUT ROWID" in ddl("envelope_inbox"))
        flask_migrate.downgrade(revision="0005")
        assert (stored("envelopes"), stored("envelope_inbox")) == (box, inbox)
        assert backend != "sqlite" or "WITHOUT ROWID" in ddl("envelopes")
        flask_migrate.upgrade()
        monkeypatch.undo()
        assert ballots.count(db.session.get(Campaign, cid), PASSPHRASE) == 30
        got = adapter.compute(db.session.get(Campaign, cid))
        receipts = db.session.execute(text("SELECT fingerprint FROM receipts")).scalars().all()
        assert sorted(receipts) == sorted(sealing.fingerprint(s) for s in sent) and len(sent) == 30
        assert stored("envelopes") == [] and stored("envelope_inbox") == []
    assert_same(got, independent_results(app, cid, long_form))
    with app.app_context():
        db.session.remove()
        flask_migrate.downgrade(revision="base")
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def test_0010_turns_decision_ballots_into_meetings(app):
    """A decision ballot made under 0009 becomes a meeting: its especially major flag a matter
    kind, its members the number the old rule counted (codes not withdrawn plus those planned);
    the downgrade gives the flag back."""
    with app.app_context():
        db.drop_all()
        flask_migrate.upgrade(revision="0009c")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO questionnaires (id, code, kind, created_at) "
                              "VALUES (1, 'decision', 'decision', '2026-01-01')"))
            conn.execute(text("INSERT INTO questionnaire_versions (id, questionnaire_id, number, status, definition) "
                              "VALUES (1, 1, 1, 'published', '{}')"))
            conn.execute(text(
                "INSERT INTO campaigns (id, code, kind, title_zh, title_en, questionnaire_version_id, status, "
                "min_group_size, trim, show_ranks, hotline, contact, created_at) VALUES (1, 'vote', 'decision', 't', "
                "'t', 1, 'open', 5, 0, true, '', '', '2026-01-01')"))
            conn.execute(text("INSERT INTO respondent_groups (id, campaign_id, code, name_zh, name_en, weight, access, "
                              "expected, position) VALUES (1, 1, 'members', 'm', 'm', 1, 'code', 2, 0)"))
            for i, state in enumerate(("unused", "used", "revoked"), start=1):
                conn.execute(text("INSERT INTO access_codes (id, campaign_id, group_id, code_hash, state, batch) "
                                  "VALUES (:i, 1, 1, :h, :s, 1)"), {"i": i, "h": f"{i:064x}", "s": state})
            for i, special in ((1, True), (2, False)):
                conn.execute(text("INSERT INTO targets (id, code, kind, name_zh, name_en, post_zh, post_en) "
                                  "VALUES (:i, :c, 'matter', 'm', 'm', '', '')"), {"i": i, "c": f"m{i}"})
                conn.execute(text("INSERT INTO campaign_targets (id, campaign_id, target_id, position, report_zh, "
                                  "report_en, group_codes, special_majority) VALUES (:i, 1, :i, :i, '', '', '[]', :s)"),
                             {"i": i, "s": special})
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            kinds = conn.execute(text("SELECT target_id, matter_kind FROM campaign_targets ORDER BY target_id")).all()
            members, quorum = conn.execute(text("SELECT members, quorum FROM campaigns WHERE id = 1")).one()
        assert [tuple(k) for k in kinds] == [(1, "especially_major"), (2, "ordinary")]
        assert (members, quorum) == (4, "more_than_half")  # 2 codes not withdrawn + 2 planned
        flask_migrate.downgrade(revision="0009c")
        with db.engine.connect() as conn:
            flags = conn.execute(text("SELECT target_id, special_majority FROM campaign_targets "
                                      "ORDER BY target_id")).all()
        assert [(t, bool(s)) for t, s in flags] == [(1, True), (2, False)]
        flask_migrate.downgrade(revision="base")
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
