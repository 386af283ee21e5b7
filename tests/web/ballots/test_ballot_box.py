"""The rules of product.md for the sealed ballot box: anonymity, one code one ballot, nothing lost."""
import logging
import threading

import pytest
from sqlalchemy import Date, DateTime, MetaData, func, inspect, select, text
from sqlalchemy import exc as sa_exc

from survey_app.ballots import operations as ballots
from survey_app.ballots import keys, sealing, wire
from survey_app.extensions import db
from survey_app.models import (AccessCode, Ballot, Campaign, Comment, CountingOfficer, CountingPanel, Envelope,
                               InboxEnvelope,
                               Receipt, TurnoutDay)
from survey_app.results.adapter import long_answers


from tests.web.helpers import PASSPHRASE, close_and_count, issue_codes, submit_ballot

CLIENT_IP = "203.0.113.77"
USER_AGENT = "Mozilla/5.0 (UniqueTestPhone 9000)"
#: the address and browser of the respondent whose traces the tests look for
PHONE = {"REMOTE_ADDR": CLIENT_IP, "HTTP_USER_AGENT": USER_AGENT}


def count(app, model):
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def received(app):
    """Envelopes in the box and in its inbox: every acknowledged ballot not yet counted."""
    return count(app, Envelope) + count(app, InboxEnvelope)


def dump_database(app) -> str:
    """Every value of every row of every table, as one string to search."""
    with app.app_context():
        meta = MetaData()
        meta.reflect(bind=db.engine)
        parts = []
        with db.engine.connect() as conn:
            for table in meta.sorted_tables:
                for row in conn.execute(table.select()):
                    for value in row:
                        if isinstance(value, (bytes, memoryview)):
                            parts.append(bytes(value).decode("latin-1"))
                        else:
                            parts.append(str(value))
        return "\n".join(parts)


def test_twenty_simultaneous_submissions_store_one_ballot(app, full_answers, campaign_id):
    [code] = issue_codes(app, campaign_id)
    data = full_answers(app, campaign_id, "staff")
    clients = [app.test_client() for _ in range(20)]
    for c in clients:
        assert c.post("/answer", data={"code": code}).status_code == 302
    barrier = threading.Barrier(20)
    statuses = []

    def go(c):
        barrier.wait()
        statuses.append(c.post("/answer/questionnaire", data={**data, "action": "submit"}).status_code)

    threads = [threading.Thread(target=go, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [302] + [403] * 19
    assert received(app) == 1
    with app.app_context():
        assert db.session.execute(select(AccessCode.state)).scalar_one() == "used"


def test_failure_during_submission_leaves_nothing(app, full_answers, campaign_id, monkeypatch):
    [code] = issue_codes(app, campaign_id)
    data = full_answers(app, campaign_id, "staff")

    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ballots, "_tick_turnout", crash)
    client = app.test_client()
    client.post("/answer", data={"code": code})
    with pytest.raises(RuntimeError):
        client.post("/answer/questionnaire", data={**data, "action": "submit"})
    assert received(app) == 0
    with app.app_context():
        assert db.session.execute(select(AccessCode.state)).scalar_one() == "unused"
    monkeypatch.undo()
    # the respondent can try again with the same code, and it works
    response = client.post("/answer/questionnaire", data={**data, "action": "submit"})
    assert response.status_code == 302 and received(app) == 1


@pytest.mark.parametrize("app", [{"MIX_BATCH": 3}], indirect=True)
def test_a_receipt_is_shown_only_once_its_ballot_is_on_disk(app, backend, campaign_id, full_answers):
    """PostgreSQL: a submission commits without waiting for the disk (the inbox writers' lock is
    not held while the WAL flushes), then waits for a second, synchronous commit before the
    receipt is shown, whether it mixed or not: when the page answers, the WAL is flushed up to
    what has been written (the check reads it from another connection at once; the WAL writer
    would flush an asynchronous commit only within a fifth of a second)."""
    if backend != "postgresql":
        pytest.skip("the WAL flush of PostgreSQL's asynchronous commit")
    codes = issue_codes(app, campaign_id, n=7)
    data = full_answers(app, campaign_id, "staff")
    with app.app_context():
        engine = db.engine
    behind = []
    with engine.connect() as watcher:
        watcher = watcher.execution_options(isolation_level="AUTOCOMMIT")
        for code in codes:  # the first ones take the long way; every third one mixes
            assert submit_ballot(app.test_client(), data, code=code).status_code == 302
            behind.append(watcher.execute(text(
                "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), pg_current_wal_flush_lsn())")).scalar_one())
    assert received(app) == 7 and behind == [0] * 7


def test_postgresql_the_submission_that_makes_a_mix_due_is_mixed_by_the_server(app, backend, campaign_id,
                                                                                full_answers, monkeypatch):
    """PostgreSQL: once a process has served the campaign, every submission is stored by the
    server in one round trip (`minping_store`), and the one that makes a mix due is mixed there,
    with the mixer's rule: with k = 3, three unmixed make a mix due; all but k go into the box
    once 2k wait."""
    if backend != "postgresql":
        pytest.skip("PostgreSQL's server-side mixer")
    app.config["MIX_BATCH"] = 3
    codes = issue_codes(app, campaign_id, n=10)
    data = full_answers(app, campaign_id, "staff")
    trips = []
    real_run = wire.run

    def run(conn, steps, prepared):
        results = real_run(conn, steps, prepared)
        trips.append(([s[0].name for s in steps if not isinstance(s, str)], results))
        return results

    monkeypatch.setattr(wire, "run", run)
    seen = []
    for code in codes:
        trips.clear()
        assert submit_ballot(app.test_client(), data, code=code).status_code == 302
        # (box, inbox, round trips, what the server's store said it moved into the box)
        seen.append((count(app, Envelope), count(app, InboxEnvelope), len(trips),
                     trips[0][1][2][0][4] if trips else "long way"))
    assert [(box, inbox) for box, inbox, _trips, _boxed in seen] == [
        (0, 1), (0, 2), (0, 3), (0, 4), (0, 5), (3, 3), (3, 4), (3, 5), (6, 3), (6, 4)]
    # a process's first submissions may take the long way (the envelope's size is read, the
    # campaign's state kept); after them, one round trip each, and every third one (those that
    # mix) reports its mix: none moved at the first (2k did not wait yet), then three
    assert [trips for _box, _inbox, trips, _boxed in seen[2:]] == [1] * 8
    reported = [None, None, b"0", None, None, b"3", None, None, b"3", None]
    assert [boxed for _box, _inbox, trips, boxed in seen if trips] == [
        r for r, (_box, _inbox, trips, _boxed) in zip(reported, seen) if trips]
    assert trips[0][0] == [b"minping_lock_code", b"minping_store"]
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(InboxEnvelope)
                                  .where(InboxEnvelope.mixed.is_(False))).scalar_one() == 1
        assert sorted(db.session.execute(select(AccessCode.state)).scalars()) == ["used"] * 10
        assert db.session.execute(select(func.sum(TurnoutDay.count))).scalar_one() == 10
        ids = db.session.execute(select(Envelope.id)).scalars().all()
        assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids) and len(set(ids)) == 6
    with app.app_context():
        assert close_and_count(db.session.get(Campaign, campaign_id)) == 10
        assert db.session.execute(select(func.count()).select_from(Ballot)).scalar_one() == 10


def test_postgresql_store_leaves_a_due_mix_to_python_when_told(app, backend, campaign_id, full_answers, monkeypatch):
    """`SERVER_MIX` off (the baseline of `bench.collect --python-mixer`): the server's store writes
    nothing for a submission that makes a mix due, which then takes the long way where Python
    mixes; the box and inbox go as the server's mixer takes them."""
    if backend != "postgresql":
        pytest.skip("PostgreSQL's server-side store")
    app.config["MIX_BATCH"] = 3
    monkeypatch.setattr(ballots, "SERVER_MIX", False)
    codes = issue_codes(app, campaign_id, n=7)
    data = full_answers(app, campaign_id, "staff")
    stored = []
    real_run = wire.run
    monkeypatch.setattr(wire, "run", lambda conn, steps, prepared: (lambda r: stored.append(r[2][0]) or r)(
        real_run(conn, steps, prepared)))
    seen = []
    for code in codes:
        stored.clear()
        assert submit_ballot(app.test_client(), data, code=code).status_code == 302
        seen.append((count(app, Envelope), count(app, InboxEnvelope), [row[0] for row in stored]))
    assert [(box, inbox) for box, inbox, _burnt in seen] == [(0, 1), (0, 2), (0, 3), (0, 4), (0, 5), (3, 3), (3, 4)]
    # the third and the sixth: the server's store burnt nothing (the long way did)
    assert [burnt for _box, _inbox, burnt in seen[2:]] == [[b"0"], [b"1"], [b"1"], [b"0"], [b"1"]]
    with app.app_context():
        assert sorted(db.session.execute(select(AccessCode.state)).scalars()) == ["used"] * 7
        assert db.session.execute(select(func.sum(TurnoutDay.count))).scalar_one() == 7


@pytest.mark.parametrize("crash_at", ["admit", "commit"])
def test_failure_after_a_submission_wrote_leaves_nothing(app, backend, full_answers, campaign_id, monkeypatch,
                                                           crash_at):
    """Once a process has served the campaign, PostgreSQL sends the burn, the turnout tick, the
    envelope and the commit in one round trip: a failure before that commit is through, or in
    the mixer's step of a submission that brings a mix (the server mixes in that round trip),
    still leaves the code usable and nothing stored."""
    from survey_app.ballots import mixing
    if crash_at == "admit":  # the third submission brings a mix (SQLite: the second already mixed)
        app.config["MIX_BATCH"] = 3
    *first, code = issue_codes(app, campaign_id, n=3)
    data = full_answers(app, campaign_id, "staff")
    for earlier in first:  # the first ones fill the caches (the envelope size is read from the first envelope)
        assert submit_ballot(app.test_client(), data, code=earlier).status_code == 302

    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    if crash_at == "admit" and backend == "postgresql":
        # the server mixes (`minping_store`), then the same statement fails: all of it is undone
        real = ballots._PG_STORE
        failing = real.text.decode().replace(" FROM minping_store(", ", 1 / (boxed - boxed) FROM minping_store(")
        assert failing != real.text.decode()
        monkeypatch.setattr(ballots, "_PG_STORE", wire.Statement(
            b"test_store_mixing_fails", failing.encode(), real.types, real.param_names))
    elif crash_at == "admit":
        monkeypatch.setattr(mixing, "admit", crash)
    pipelined = []
    real_put = ballots._put_postgresql
    monkeypatch.setattr(ballots, "_put_postgresql", lambda *a: pipelined.append(1) or real_put(*a))
    client = app.test_client()
    client.post("/answer", data={"code": code})
    if crash_at == "commit" and backend == "postgresql":
        # the COMMIT sent in the round trip with the writes fails on the server
        monkeypatch.setattr(ballots, "_PG_COMMIT", "SELECT 1 / 0")
        with pytest.raises(sa_exc.DBAPIError):
            client.post("/answer/questionnaire", data={**data, "action": "submit"})
    elif crash_at == "admit" and backend == "postgresql":
        with pytest.raises(sa_exc.DBAPIError, match="division by zero"):
            client.post("/answer/questionnaire", data={**data, "action": "submit"})
    else:
        if crash_at == "commit":
            monkeypatch.setattr(db.session, "commit", crash)
        with pytest.raises(RuntimeError):
            client.post("/answer/questionnaire", data={**data, "action": "submit"})
    monkeypatch.undo()
    assert len(pipelined) == (1 if backend == "postgresql" else 0)  # the one-round-trip path was taken
    assert received(app) == 2
    with app.app_context():
        assert sorted(db.session.execute(select(AccessCode.state)).scalars()) == ["unused", "used", "used"]
        assert db.session.execute(select(func.sum(TurnoutDay.count))).scalar_one() == 2
    response = client.post("/answer/questionnaire", data={**data, "action": "submit"})
    assert response.status_code == 302 and received(app) == 3


def test_database_and_logs_hold_no_code_ip_or_answer(app, full_answers, campaign_id, caplog):
    caplog.set_level(logging.DEBUG)
    codes = issue_codes(app, campaign_id, n=3)
    secret_comment = "UNIQUE-COMMENT-只有我知道"
    for i, code in enumerate(codes):
        data = full_answers(app, campaign_id, "staff", "ABC"[i])
        with app.app_context():
            q = db.session.get(Campaign, campaign_id).questionnaire_version.parsed
            text_items = [item.code for item in q.items() if item.type == "text" and item.per_target]
            target = db.session.get(Campaign, campaign_id).targets[0].code
        assert text_items, "the sector-style template asks for a comment per target"
        data[f"t.{target}.{text_items[0]}"] = secret_comment
        assert submit_ballot(app.test_client(), data, code=code, environ_base=PHONE).status_code == 302
    everything = dump_database(app)
    logs = caplog.text
    for code in codes:
        assert code not in everything and code.replace("-", "") not in everything
        assert code not in logs
    for needle in (CLIENT_IP, USER_AGENT, "UniqueTestPhone"):
        assert needle not in everything and needle not in logs
    # before counting, the content of the ballots is nowhere in the clear
    assert secret_comment not in everything
    assert count(app, Ballot) == 0 and count(app, Comment) == 0
    # after counting the comment is there, apart from any ballot
    with app.app_context():
        close_and_count(db.session.get(Campaign, campaign_id))
    assert secret_comment in dump_database(app)
    assert count(app, Ballot) == 3


def test_no_time_on_any_ballot_table(app):
    with app.app_context():
        for model in (Envelope, Ballot, Comment, Receipt, AccessCode):
            for column in inspect(model).columns:
                assert not isinstance(column.type, (DateTime, Date)), f"{model.__tablename__}.{column.name}"


def test_sqlite_ballot_tables_have_no_rowid(app, backend):
    """Opened ballots, comments, receipts and the inbox have no rowid, which would number
    them in the order they were written; the box has one, which numbers its envelopes in the
    mixer's shuffled order (the forensic tests check that order), and keeps its key in an index."""
    if backend != "sqlite":
        pytest.skip("rowid is SQLite's")
    with app.app_context():
        def ddl(table):
            return db.session.execute(text("SELECT sql FROM sqlite_master WHERE name = :n"), {"n": table}).scalar_one()
        for table in ("envelope_inbox", "ballots", "comments", "receipts"):
            assert "WITHOUT ROWID" in ddl(table), table
        assert "WITHOUT ROWID" not in ddl("envelopes")
        indexes = db.session.execute(text("PRAGMA index_list(envelopes)")).all()
        assert [(i.unique, i.origin) for i in indexes] == [(1, "pk")]


def test_envelope_length_hides_comment_length(app, campaign_id):
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        short = sealing.seal(campaign.public_key, {"a": [], "c": [[None, "q", "好"]]})
        long = sealing.seal(campaign.public_key, {"a": [], "c": [[None, "q", "很好，办事效率高，态度也不错。" * 3]]})
        assert len(short) == len(long)


def test_counting_keeps_no_mapping_and_shuffles(app, full_answers, campaign_id):
    n = 24
    codes = issue_codes(app, campaign_id, n=n)
    receipts = []
    # ballot k answers its first question with an option that encodes k's parity and target pattern
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        q = campaign.questionnaire_version.parsed
        options = [o.code for o in q.scale.options if o.points is not None]
    for k, code in enumerate(codes):
        data = full_answers(app, campaign_id, "staff", options[k % len(options)])
        client = app.test_client()
        assert submit_ballot(client, data, code=code).status_code == 302
        page = client.get("/answer/done").get_data(as_text=True)
        receipts.append(page.split('class="receipt">')[1].split("<")[0])
    with app.app_context():
        envelope_ids = set(db.session.execute(select(InboxEnvelope.id)).scalars())
        envelope_ids |= set(db.session.execute(select(Envelope.id)).scalars())
        assert close_and_count(db.session.get(Campaign, campaign_id)) == n
        ballot_ids = list(db.session.execute(select(Ballot.id)).scalars())
        assert len(ballot_ids) == n and not (set(ballot_ids) & envelope_ids)
        assert received(app) == 0
        stored = sorted(db.session.execute(select(Receipt.fingerprint)).scalars())
        assert stored == sorted(receipts)
    everything = dump_database(app)
    for envelope_id in envelope_ids:
        assert envelope_id not in everything
    # the stored order of ballots (by id, as the database keeps them) is not the submission order
    with app.app_context():
        first_item = q.rating_items()[0].code
        target = db.session.get(Campaign, campaign_id).targets[0]
        rows = sorted((ballot_id, option) for ballot_id, t, item, option
                      in long_answers(db.session.get(Campaign, campaign_id))
                      if item == first_item and t == target.code)
        stored_pattern = [option for _id, option in rows]
        submitted_pattern = [options[k % len(options)] for k in range(n)]
        assert sorted(stored_pattern) == sorted(submitted_pattern)
        assert stored_pattern != submitted_pattern


def test_wrong_passphrase_changes_nothing(app, full_answers, campaign_id, login, count_form):
    [code] = issue_codes(app, campaign_id)
    submit_ballot(app.test_client(), full_answers(app, campaign_id, "staff"), code=code)
    with app.app_context():
        from survey_app.admin.operations import close_campaign
        close_campaign(db.session.get(Campaign, campaign_id))
    staff = login("staff")
    response = staff.post(f"/admin/campaigns/{campaign_id}/count", data=count_form([(1, "not the passphrase")]))
    assert response.status_code == 400
    assert "nothing was changed" in response.get_data(as_text=True).lower() or "没有" in response.get_data(as_text=True)
    assert received(app) == 1 and count(app, Ballot) == 0
    with app.app_context():
        assert db.session.get(Campaign, campaign_id).counted_at is None
    response = staff.post(f"/admin/campaigns/{campaign_id}/count", data=count_form())
    assert response.status_code == 302
    assert received(app) == 0 and count(app, Ballot) == 1


def test_no_results_before_counting(app, campaign_id, login):
    page = login("staff").get(f"/admin/campaigns/{campaign_id}/results").get_data(as_text=True)
    assert 'id="results-table"' not in page


def test_every_envelope_of_a_campaign_has_the_size_of_its_largest_ballot(app, campaign_id):
    from survey_app.ballots.validation import BallotContent, asked, validate

    def ballot(q, targets, comment):
        values = {}
        for item, target in asked(q, "staff", targets):
            name = f"t.{target}.{item.code}" if target else f"b.{item.code}"
            if item.type == "text":
                values[name] = [comment(item.max_length or 2000)]
            elif item.type == "multiple":
                values[name] = [o.code for o in item.options]
            elif item.type == "single":
                values[name] = [item.options[-1].code]
            else:
                values[name] = [q.scale.options[-1].code]
        return validate(q, "staff", targets, values)

    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        q = campaign.questionnaire_version.parsed
        targets = [t.code for t in campaign.targets]
        # Comments at their limit in UTF-16 units, as the page's maxlength counts: emoji (two
        # units each, 4 bytes in UTF-8), CJK (3 bytes in UTF-8), ASCII, and a control character
        # that is dropped.
        full = [ballot(q, targets, comment) for comment in (
            lambda n: "\x01" + "\U0001F600" * (n // 2) + "好" * (n % 2),
            lambda n: "意" * n, lambda n: "a" * n)]
        assert all(not errors and content.comments for content, errors in full)
        assert all("\x01" not in text for _t, _i, text in full[0][0].comments)
        _content, errors = ballot(q, targets, lambda n: "\U0001F600" * (n // 2 + 1))
        assert errors, "a comment one emoji over the limit (in UTF-16 units) is refused"
        sizes = {len(ballots._seal(campaign, campaign.group("staff"), content))
                 for content in [c for c, _e in full] + [BallotContent(), BallotContent(comments=[(targets[0], "q14", "好")])]}
        assert len(sizes) == 1 and sizes.pop() == ballots.envelope_size(campaign) + 48


def test_a_campaign_open_across_the_packing_upgrade_keeps_the_size_of_its_envelopes(app, campaign_id, monkeypatch):
    from survey_app.ballots.validation import BallotContent
    monkeypatch.setattr(ballots, "_SIZES", {})
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        unpacked = sealing.padded_size(ballots._largest(campaign))  # the size before ratings were packed
        packed = ballots.envelope_size(campaign)
        assert packed < unpacked, "packing the ratings makes the campaign's envelopes smaller"
        # An envelope received before the upgrade: every later one has its size.
        old = sealing.seal(campaign.public_key, {"a": [], "c": []}, size=unpacked)
        db.session.add(InboxEnvelope(campaign_id=campaign_id, group_id=campaign.group("staff").id, sealed=old,
                                     receipt=sealing.fingerprint(old)))
        db.session.commit()
        campaign = db.session.get(Campaign, campaign_id)
        sealed = ballots._seal(campaign, campaign.group("staff"), BallotContent())
        assert len(sealed) == unpacked + sealing.SEAL_OVERHEAD
        assert sealing.open_envelope(keys.unlock_private_key(campaign, PASSPHRASE), sealed)["r"] is not None
    monkeypatch.setattr(ballots, "_SIZES", {})  # another process, after a restart
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert ballots.envelope_size(campaign) == unpacked


def test_envelopes_open_to_what_was_sealed_in_both_layouts():
    from nacl.public import PrivateKey
    key = PrivateKey.generate()
    ballot = {"v": 3, "g": "staff", "a": [["t1", "q1", "A"], [None, "q2", "x y"]],
              "c": [["t1", "q14", "意见\U0001F600a"], [None, "q15", ""], ["t2", "q14", "好"]]}
    assert sealing.open_envelope(key, sealing.seal(bytes(key.public_key), ballot, size=4096)) == ballot
    # an envelope sealed before the compact layout (plain JSON, NUL-padded) still opens
    from nacl.public import SealedBox
    import json
    old = SealedBox(key.public_key).encrypt(json.dumps(ballot, ensure_ascii=False).encode() + b"\0" * 100)
    assert sealing.open_envelope(key, old) == ballot


def unmixed(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(InboxEnvelope)
                                  .where(InboxEnvelope.mixed.is_(False))).scalar_one()


@pytest.mark.parametrize("app", [{"MIX_BATCH": 4}], indirect=True)
def test_mixer_moves_batches_of_at_least_k_and_closing_takes_the_rest(app, backend, full_answers, make_campaign):
    """k = 4: the submission that makes k envelopes wait unmixed (k - 1 on SQLite) mixes them:
    a rewrite until 2k wait, then a batch of all but k into the box; closing takes the rest."""
    from survey_app.ballots.mixing import threshold
    cid = make_campaign(code="mix")
    k = app.config["MIX_BATCH"]
    due_at = threshold(k, backend == "postgresql")
    assert due_at == (4 if backend == "postgresql" else 3)
    codes = issue_codes(app, cid, n=4 * k + 3)
    data = full_answers(app, cid, "staff")
    boxed_before, batches = 0, []
    for i, code in enumerate(codes, start=1):
        assert submit_ballot(app.test_client(), data, code=code).status_code == 302
        boxed, waiting, fresh = count(app, Envelope), count(app, InboxEnvelope), unmixed(app)
        assert boxed + waiting == i
        assert fresh == i % due_at, (i, fresh)  # never k (k - 1 on SQLite) pairable with their codes
        if boxed > boxed_before:
            batches.append(boxed - boxed_before)
            assert waiting == k and i % due_at == 0, (i, waiting)  # k kept back, at a mix
        boxed_before = boxed
    assert batches and min(batches) >= k, batches
    # PostgreSQL: batches of 4 at the 8th, 12th and 16th; SQLite: 5 at the 9th, 6 at the 15th
    assert batches == ([4, 4, 4] if backend == "postgresql" else [5, 6])
    with app.app_context():
        from survey_app.admin.operations import close_campaign
        close_campaign(db.session.get(Campaign, cid))
    assert count(app, Envelope) == 4 * k + 3 and count(app, InboxEnvelope) == 0
    with app.app_context():
        assert ballots.count(db.session.get(Campaign, cid), PASSPHRASE) == 4 * k + 3
        assert db.session.get(CountingPanel, cid) is None and db.session.get(CountingOfficer, (cid, 1)) is None
        with pytest.raises(ballots.KeyDestroyed):
            keys.unlock_private_key(db.session.get(Campaign, cid), PASSPHRASE)
    assert count(app, Envelope) == 0 and count(app, Ballot) == 4 * k + 3


@pytest.mark.parametrize("app", [{"MIX_BATCH": 3}], indirect=True)
def test_a_mix_makes_a_missing_partition_of_the_box(app, backend, full_answers, make_campaign):
    """The partition is made when the campaign opens; the mixer asks whether it is still there
    with its first read (PostgreSQL) and makes it when it is not, before writing the batch."""
    if backend != "postgresql":
        pytest.skip("the box is partitioned on PostgreSQL only")
    from survey_app.ballots.mixing import partition_name
    cid = make_campaign(code="part")
    with app.app_context():
        db.session.execute(text(f"DROP TABLE {partition_name(cid)}"))
        db.session.commit()
    k = app.config["MIX_BATCH"]
    data = full_answers(app, cid, "staff")
    for code in issue_codes(app, cid, n=2 * k):  # the 2k-th mixes k into the box
        assert submit_ballot(app.test_client(), data, code=code).status_code == 302
    assert count(app, Envelope) == k and count(app, InboxEnvelope) == k
    with app.app_context():
        assert db.session.execute(text("SELECT to_regclass(:n)"), {"n": partition_name(cid)}).scalar() is not None


@pytest.mark.parametrize("mixer", ["python", "server"])
def test_a_large_batch_is_sorted_in_memory(app, backend, full_answers, make_campaign, mixer):
    """The box is written in the shuffled order by a sort in the server: it never spills to a
    temporary file, whose rows would pair the envelopes' fresh ids with their TOAST pointers
    in the inbox (numbered in the order they were written), not even with 1,500 envelopes
    waiting and the smallest work_mem PostgreSQL allows: Python's mixer at closing (all go into
    the box), and the mix PostgreSQL runs itself (`minping_mix`, as a submission calls it when a
    mix is due) at k = 500 (all but k go into the box, k stay, mixed)."""
    if backend != "postgresql":
        pytest.skip("PostgreSQL's sorts")
    from survey_app.ballots import mixing
    from survey_app.models._types import random_id
    cid = make_campaign(code="many")
    data = full_answers(app, cid, "staff")
    assert submit_ballot(app.test_client(), data, code=issue_codes(app, cid, n=1)[0]).status_code == 302
    n, k = 1500, 500
    with app.app_context():
        row = db.session.execute(select(InboxEnvelope.group_id, InboxEnvelope.sealed, InboxEnvelope.receipt)).one()
        db.session.execute(InboxEnvelope.__table__.insert(), [
            {"id": random_id(), "campaign_id": cid, "group_id": row.group_id, "sealed": row.sealed,
             "receipt": row.receipt} for _ in range(n - 1)])
        db.session.commit()
        with db.engine.connect() as conn:
            temp_files = text("SELECT temp_files FROM pg_stat_database WHERE datname = current_database()")
            before = conn.execute(temp_files).scalar_one()
            conn.commit()
            conn.execute(text("SET work_mem = '64kB'"))
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": mixing.LOCK_KEY})
            if mixer == "python":
                boxed = mixing._mix(conn, True, final=cid)
            else:
                boxed = conn.execute(text("SELECT minping_mix(:c, :g, :i, :s, :r, 1, :k)"), {
                    "c": cid, "g": row.group_id, "i": random_id(), "s": row.sealed, "r": row.receipt,
                    "k": k}).scalar_one()
            conn.execute(text("SELECT pg_stat_force_next_flush()"))
            conn.commit()
            conn.execute(text("RESET work_mem"))
            after = conn.execute(temp_files).scalar_one()
            conn.commit()
        mixed = db.session.execute(select(func.count()).select_from(InboxEnvelope)
                                   .where(InboxEnvelope.mixed.is_(True))).scalar_one()
    kept = 0 if mixer == "python" else k
    assert boxed == count(app, Envelope) == (n if mixer == "python" else n + 1 - k)
    assert count(app, InboxEnvelope) == mixed == kept
    assert after == before, "a sort wrote a temporary file"


def test_counting_twice_is_refused(app, full_answers, campaign_id, login, count_form):
    [code] = issue_codes(app, campaign_id)
    r = submit_ballot(app.test_client(), full_answers(app, campaign_id, "staff"), code=code, environ_base=PHONE)
    assert r.status_code == 302, r.get_data(as_text=True)
    staff = login("staff")
    assert staff.post(f"/admin/campaigns/{campaign_id}/close").status_code == 302
    assert staff.post(f"/admin/campaigns/{campaign_id}/count", data=count_form()).status_code == 302
    again = staff.post(f"/admin/campaigns/{campaign_id}/count", data=count_form(),
                       follow_redirects=True)
    assert again.status_code == 200 and "key destroyed" in again.get_data(as_text=True)
    assert count(app, Ballot) == 1


def test_no_plain_code_in_the_session_cookie(app, campaign_id, full_answers):
    import base64
    import zlib
    [code] = issue_codes(app, campaign_id)
    client = app.test_client()
    assert client.post("/answer", data={"code": code}).status_code == 302
    cookie = client.get_cookie("session").value
    payload = cookie.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    readable = (zlib.decompress(raw) if cookie.startswith(".") else raw).decode()
    assert '"code"' in readable  # the cookie does carry the code, encrypted
    assert code not in readable and code.replace("-", "") not in readable
    response = client.post("/answer/questionnaire", data={**full_answers(app, campaign_id, "staff"), "action": "submit"})
    assert response.status_code == 302 and received(app) == 1


def test_sql_parameters_never_reach_an_error(app, campaign_id):
    from sqlalchemy.exc import IntegrityError
    secret = "a1b2c3-code-hash-that-must-not-leak"
    with app.app_context():
        db.session.add(AccessCode(campaign_id=campaign_id, group_id=999999, code_hash=secret))
        with pytest.raises(IntegrityError) as raised:
            db.session.flush()
        db.session.rollback()
    assert secret not in str(raised.value) and "hidden due to hide_parameters" in str(raised.value)


@pytest.mark.parametrize("closing", [False, True], ids=["mix", "closing"])
def test_an_envelope_arriving_while_the_mixer_runs_is_never_lost(app, backend, full_answers, make_campaign,
                                                                 monkeypatch, closing):
    """The mixer reads the inbox and fills the box before it locks the inbox (PostgreSQL), so a
    submission may commit in between: it stays in the inbox (or, at closing, joins the last
    batch); nothing is lost, nothing counted twice."""
    if backend != "postgresql":
        pytest.skip("SQLite's mixer holds the write lock from its first statement: nothing arrives meanwhile")
    from survey_app.ballots import mixing
    from survey_app.models._types import random_id
    cid = make_campaign(code="late")
    k = app.config["MIX_BATCH"]
    data = full_answers(app, cid, "staff")
    for code in issue_codes(app, cid, n=2 * k - 1):  # one short of a mix
        assert submit_ballot(app.test_client(), data, code=code).status_code == 302
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        sealed, receipt = db.session.execute(select(InboxEnvelope.sealed, InboxEnvelope.receipt).limit(1)).one()
        late = {"id": random_id(), "campaign_id": cid, "group_id": campaign.group("staff").id,
                "sealed": sealed, "receipt": receipt}
        pending = [late]
        real = mixing._mix_postgresql

        def arrive_meanwhile(*args):  # called between the read and the lock
            while pending:
                with db.engine.begin() as other:
                    other.execute(InboxEnvelope.__table__.insert(), [pending.pop()])
            return real(*args)

        monkeypatch.setattr(mixing, "_mix_postgresql", arrive_meanwhile)
        if not closing:  # one more envelope makes 2k: a mix moves k and keeps k back
            db.session.execute(InboxEnvelope.__table__.insert(), [{**late, "id": random_id()}])
        db.session.commit()  # end the session's transaction: the mixer locks the inbox
        moved = mixing.mix(final=cid if closing else None)
    boxed, waiting = count(app, Envelope), count(app, InboxEnvelope)
    assert not pending  # the envelope did arrive during the mix
    assert boxed + waiting == (2 * k if closing else 2 * k + 1)  # 2k - 1, (one more,) one during the mix
    if closing:
        assert waiting == 0 and boxed == moved == 2 * k  # the late one joined the last batch
    else:
        assert boxed == moved == k and waiting == k + 1  # k kept back, and the late one




@pytest.mark.parametrize("app", [{"MIX_BATCH": 5}], indirect=True)
def test_simultaneous_submissions_never_leave_k_envelopes_pairable(app, backend, full_answers, make_campaign):
    """Six respondents at once, ten ballots each: every writer counts under the inbox's lock,
    so however the submissions interleave, a copy of the database taken at any moment pairs
    at most k - 1 envelopes with their codes (read through `xmin` while they arrive)."""
    if backend != "postgresql":
        pytest.skip("SQLite takes one writer at a time anyway; xmin is PostgreSQL's")
    from tests.web.ballots.test_forensics import pairable_through_xmin
    cid = make_campaign(code="together")
    k = app.config["MIX_BATCH"]
    codes = issue_codes(app, cid, n=60)
    data = full_answers(app, cid, "staff")
    statuses, seen, done = [], [], threading.Event()

    def respondent(mine):
        for code in mine:
            statuses.append(submit_ballot(app.test_client(), data, code=code).status_code)

    def copy_of_the_files():
        with app.app_context():
            while not done.is_set():
                seen.append(pairable_through_xmin(db.session, k))
                db.session.rollback()

    watcher = threading.Thread(target=copy_of_the_files)
    watcher.start()
    threads = [threading.Thread(target=respondent, args=(codes[i::6],)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    watcher.join()
    assert statuses == [302] * 60
    assert count(app, Envelope) + count(app, InboxEnvelope) == 60 and count(app, Envelope) >= 5 * k
    assert len(seen) > 10 and max(seen) <= k - 1, (len(seen), max(seen))
