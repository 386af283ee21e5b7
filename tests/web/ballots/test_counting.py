"""Counting at city scale: packed ballots, the parallel count, its lock and progress, and
results computed once, never committed by a GET."""
import random
import re

import numpy as np
import pytest
import questionnaires
import scoring
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from survey_app.results import adapter
from survey_app.admin import operations
from survey_app.ballots import counting, keys, packing
from survey_app.ballots import operations as ballots
from survey_app.ballots.validation import BallotContent
from survey_app.extensions import db
from survey_app.models import Ballot, Campaign, CountingOfficer, CountingPanel, CountingRun, Envelope, InboxEnvelope

from tests.web.helpers import PASSPHRASE


# -- packing --------------------------------------------------------------------------------

def sector_layout(n_targets=3):
    return packing.layout(questionnaires.template("sector_style"), [f"t{i}" for i in range(n_targets)])


def test_pack_round_trip_keeps_unanswered_items_and_other_answers():
    lay = sector_layout()
    answers = [("t0", lay.items[0], lay.options[0]), ("t2", lay.items[-1], lay.options[-1]),
               (None, "once", "x"), ("t1", "choice-item", "a b"), ("elsewhere", lay.items[0], lay.options[1])]
    ratings, choices = packing.pack(lay, answers)
    assert len(ratings) == lay.width == 3 * len(lay.items)
    assert ratings.count(0) == lay.width - 2  # unanswered items are 0
    assert ratings[0] == 1 and ratings[-1] == len(lay.options)
    assert sorted(packing.unpack(lay, ratings, choices), key=str) == sorted(answers, key=str)
    assert packing.pack(lay, []) == (bytes(lay.width), None)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_pack_unpack_many_is_lossless(data):
    lay = sector_layout(data.draw(st.integers(1, 5)))
    ballots_ = []
    for _ in range(data.draw(st.integers(0, 6))):
        chosen = data.draw(st.dictionaries(st.tuples(st.sampled_from(lay.targets), st.sampled_from(lay.items)),
                                           st.sampled_from(lay.options), max_size=lay.width))
        ballots_.append([(t, i, o) for (t, i), o in chosen.items()])
    packed = [packing.pack(lay, b) for b in ballots_]
    assert all(choices is None for _r, choices in packed)
    matrix = packing.unpack_many(lay, [r for r, _c in packed])
    assert matrix.shape == (len(ballots_), lay.width)
    for row, answers in zip(matrix, ballots_):
        expected = np.zeros(lay.width, dtype=np.uint8)
        for t, i, o in answers:
            expected[lay.slot(t, i)] = lay.options.index(o) + 1
        assert np.array_equal(row, expected)
    assert [sorted(packing.unpack(lay, r, c)) for r, c in packed] == [sorted(b) for b in ballots_]


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_an_envelope_packed_at_sealing_opens_to_what_packing_its_answers_gives(data):
    from nacl.public import PrivateKey
    from survey_app.ballots import sealing
    lay = sector_layout(data.draw(st.integers(1, 4)))
    key = PrivateKey.generate()
    rated = data.draw(st.dictionaries(st.tuples(st.sampled_from(lay.targets), st.sampled_from(lay.items)),
                                      st.sampled_from(lay.options), max_size=lay.width))
    # answers off the vector: once-per-ballot items, choices, another target, an option off the scale
    other = data.draw(st.lists(st.tuples(st.sampled_from([None, "t0", "elsewhere"]), st.sampled_from(["once", lay.items[0]]),
                                         st.sampled_from(["x", "a b", "不在量表"])), max_size=4))
    answers = [[t, i, o] for (t, i), o in rated.items()] + [list(a) for a in other]
    comments = data.draw(st.lists(st.tuples(st.sampled_from([None, "t1"]), st.just("q14"),
                                            st.text(max_size=20)), max_size=3))
    ballot = {"v": 7, "g": "staff", "a": answers, "c": [list(c) for c in comments]}
    sealed = sealing.seal(bytes(key.public_key), ballot, size=sealing.padded_size(ballot), lay=lay)
    compact = sealing.seal(bytes(key.public_key), ballot, size=sealing.padded_size(ballot))
    assert len(sealed) == len(compact)  # packing does not change an envelope's size
    payload, unpacked = sealing.open_envelope(key, sealed), sealing.open_envelope(key, compact)
    assert payload["k"] == lay.digest and len(payload["r"]) == lay.width and "r" not in unpacked
    # counting stores the same thing whichever way the envelope was sealed
    assert sealing.packed(payload, lay) == sealing.packed(unpacked, lay) == packing.pack(lay, answers)
    assert sorted(map(tuple, sealing.answers(payload, lay)), key=str) == sorted(
        ((t or None, i, o) for t, i, o in answers), key=str)
    assert (payload["v"], payload["g"], payload["c"]) == (7, "staff", ballot["c"])


def test_an_envelope_packed_for_another_layout_is_refused():
    from nacl.public import PrivateKey
    from survey_app.ballots import sealing
    key = PrivateKey.generate()
    lay, other = sector_layout(3), sector_layout(4)
    ballot = {"v": 1, "g": "staff", "a": [["t0", lay.items[0], lay.options[0]]], "c": []}
    payload = sealing.open_envelope(key, sealing.seal(bytes(key.public_key), ballot, lay=lay))
    assert other.digest != lay.digest
    with pytest.raises(sealing.LayoutMismatch):
        sealing.packed(payload, other)


def test_a_ballot_packing_would_make_larger_than_its_envelope_is_sealed_unpacked():
    from nacl.public import PrivateKey
    from survey_app.ballots import sealing
    key = PrivateKey.generate()
    lay = sector_layout(1)
    ballot = {"v": 1, "g": "staff", "a": [[None, "once", "x"]], "c": []}  # nothing on the vector
    size = len(sealing.encode(ballot))  # the largest ballot, exactly
    assert len(sealing.encode(ballot, lay)) > size
    payload = sealing.open_envelope(key, sealing.seal(bytes(key.public_key), ballot, size=size, lay=lay))
    assert "r" not in payload and sealing.packed(payload, lay) == packing.pack(lay, ballot["a"])


# -- counting --------------------------------------------------------------------------------

def submit_random(app, cid, n, seed=1):
    """n ballots with random ratings (some left out) straight into the box; returns their
    long-form rating answers, built from what was submitted, not from what was stored."""
    rng = random.Random(seed)
    long_form = []
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        q = campaign.questionnaire_version.parsed
        targets = [t.code for t in campaign.targets]
        scale = [o.code for o in q.scale.options]
        groups = [g.code for g in campaign.groups]
        for b in range(n):
            group = campaign.group(groups[b % len(groups)])
            content = BallotContent()
            for item in q.items_for(group.code):
                for target in (targets if item.per_target else [None]):
                    if item.type == "text":
                        if rng.random() < 0.2:
                            content.comments.append((target, item.code, "意见"))
                        continue
                    if rng.random() < 0.1:
                        continue
                    option = rng.choice(scale) if item.type == "rating" else item.options[0].code
                    content.answers.append((target, item.code, option))
                    if item.type == "rating" and target:
                        long_form.append((b, group.code, target, item.code, option))
            ballots.submit(campaign, group, content)
            campaign = db.session.get(Campaign, cid)
        operations.close_campaign(campaign)
    return long_form


def independent_results(app, cid, long_form):
    """Results scored from the submitted answers (ballot ids do not matter without trimming)."""
    with app.app_context():
        method = scoring.Method.from_dict(adapter.method_dict(db.session.get(Campaign, cid)), source="method.json")
    columns = dict(zip(scoring.answers.COLUMNS, zip(*long_form)))
    columns["ballot"] = [f"b{b:06d}" for b in columns["ballot"]]
    return scoring.score(scoring.Answers.from_columns(**columns), method)


def assert_same(a, b, path="results"):
    """Equal, floats up to the last bits that the order of the ballots in a sum may change."""
    if isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-12), path
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), path
        for key in a:
            assert_same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), path
        for k, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{path}[{k}]")
    else:
        assert a == b, path


def envelopes(app):
    with app.app_context():
        return (db.session.execute(select(func.count()).select_from(Envelope)).scalar_one()
                + db.session.execute(select(func.count()).select_from(InboxEnvelope)).scalar_one())


def sealed_formats(app, cid) -> set[bytes]:
    """The first bytes of the plain texts of the campaign's envelopes (their layouts)."""
    from nacl.public import SealedBox
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        box = SealedBox(keys.unlock_private_key(campaign, PASSPHRASE))
        sealed = db.session.execute(select(Envelope.sealed).where(Envelope.campaign_id == cid)).scalars().all()
        sealed += db.session.execute(select(InboxEnvelope.sealed).where(InboxEnvelope.campaign_id == cid)).scalars().all()
        return {box.decrypt(s)[:1] for s in sealed}


@pytest.mark.parametrize("pool", [False, True], ids=["in-process", "pool"])
def test_counted_results_equal_those_of_the_submitted_ballots(app, make_campaign, pool, monkeypatch):
    if pool:  # force the process pool with small chunks
        app.config.update(COUNT_POOL_THRESHOLD=1, COUNT_CHUNK=7, COUNT_WORKERS=2)
    cid = make_campaign(code="par", min_group_size=1)
    # Every other ballot sealed as before packing (a campaign open across the upgrade).
    packed_layout, turn = ballots._layout, iter(range(10 ** 6))
    monkeypatch.setattr(ballots, "_layout", lambda c: packed_layout(c) if next(turn) % 2 else None)
    long_form = submit_random(app, cid, 30)
    assert sealed_formats(app, cid) == {b"\x01", b"\x02"}
    seen = []
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        assert ballots.count(campaign, PASSPHRASE, progress=lambda d, t: seen.append((d, t))) == 30
        campaign = db.session.get(Campaign, cid)
        got = adapter.compute(campaign)
        assert db.session.execute(select(func.count()).select_from(Ballot)).scalar_one() == 30
        assert db.session.execute(select(func.count()).select_from(CountingRun)).scalar_one() == 0
    assert envelopes(app) == 0
    with app.app_context():
        columns = adapter.answer_columns(db.session.get(Campaign, cid))
        method = scoring.Method.from_dict(adapter.method_dict(db.session.get(Campaign, cid)), source="method.json")
    from_columns = scoring.score(scoring.Answers.from_columns(**columns), method)
    assert got == from_columns  # the packed adapter gives exactly what the long form gives
    assert_same(got, independent_results(app, cid, long_form))
    assert got["ballots"] == 30 and any(t.get("score") is not None for t in got["targets"])
    assert seen[-1] == (60, 60) and [d for d, _t in seen] == sorted(d for d, _t in seen)


def test_a_second_count_of_the_same_campaign_is_refused(app, make_campaign):
    cid = make_campaign(code="lock", min_group_size=1)
    submit_random(app, cid, 4)
    with app.app_context():
        counting.start_run(cid)  # another process is counting
        with pytest.raises(counting.CountRunning):
            counting.start_run(cid)
        with pytest.raises(operations.LifecycleError):
            operations.count_campaign(db.session.get(Campaign, cid), PASSPHRASE)
        # nor can the officers be changed under a running count (it would destroy the new panel)
        with pytest.raises(operations.LifecycleError, match="being counted"):
            operations.reshare_officers(db.session.get(Campaign, cid), {1: PASSPHRASE},
                                        [keys.Officer("Another officer", "another long passphrase")], 1)
        assert db.session.get(Campaign, cid).counted_at is None
        assert db.session.get(CountingPanel, cid) is not None
        assert db.session.get(CountingOfficer, (cid, 1)).name != "Another officer"
        counting.end_run(cid)
    assert envelopes(app) == 4
    with app.app_context():
        assert operations.count_campaign(db.session.get(Campaign, cid), PASSPHRASE) == 4


@pytest.mark.parametrize("pool", [False, True], ids=["in-process", "pool"])
def test_a_crash_while_storing_leaves_nothing_counted_and_the_box_intact(app, make_campaign, monkeypatch, pool):
    # with the pool, SQLite empties the box before the last ballots are stored
    app.config.update(COUNT_CHUNK=3, **({"COUNT_POOL_THRESHOLD": 1, "COUNT_WORKERS": 2} if pool else {}))
    cid = make_campaign(code="crash", min_group_size=1)
    long_form = submit_random(app, cid, 10)
    real = ballots._store
    calls = []

    def failing(*args):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the disk is full")
        return real(*args)

    monkeypatch.setattr(ballots, "_store", failing)
    with app.app_context():
        with pytest.raises(RuntimeError):
            ballots.count(db.session.get(Campaign, cid), PASSPHRASE)
    assert len(calls) == 2  # one chunk was stored before the crash
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Ballot)).scalar_one() == 0
        assert db.session.get(Campaign, cid).counted_at is None
        assert db.session.get(CountingPanel, cid) is not None and db.session.get(CountingOfficer, (cid, 1)) is not None
        assert db.session.execute(select(func.count()).select_from(CountingRun)).scalar_one() == 0
    assert envelopes(app) == 10
    monkeypatch.setattr(ballots, "_store", real)
    with app.app_context():
        assert ballots.count(db.session.get(Campaign, cid), PASSPHRASE) == 10
        got = adapter.compute(db.session.get(Campaign, cid))
    assert_same(got, independent_results(app, cid, long_form))


def test_progress_json_follows_the_run(app, make_campaign, login):
    cid = make_campaign(code="prog", status="closed")
    client = login("staff")
    url = f"/admin/campaigns/{cid}/count/progress.json"
    assert client.get(url).get_json() == {"running": False, "counted": False, "phase": None, "done": 0, "total": 0}
    with app.app_context():
        counting.start_run(cid)
        counting.report_progress(cid, 1200, total=5000)
    assert client.get(url).get_json() == {"running": True, "counted": False, "phase": "opening",
                                          "done": 1200, "total": 5000}
    page = client.get(f"/admin/campaigns/{cid}/count").get_data(as_text=True)
    assert 'id="count-progress"' in page and "count.js" in page and url in page
    with app.app_context():
        counting.end_run(cid)
    assert client.get(url).get_json()["running"] is False


def test_paper_is_refused_while_the_box_is_counted(app, make_campaign):
    from survey_app.paper import admission, imports
    cid = make_campaign(code="paper", status="closed")
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        admission.require_accepting(campaign)  # accepted before the count starts
        counting.start_run(cid)
        with pytest.raises(admission.PaperRefused, match="being counted"):
            admission.require_accepting(campaign)
        with pytest.raises(imports.ImportInvalid) as refused:
            imports.import_answers(campaign, b"ballot,group,target,item,option\n", "answers.csv", "clerk")
        assert "being counted" in refused.value.problems[0].reason
        counting.end_run(cid)
    assert envelopes(app) == 0


def test_views_after_counting_compute_once_and_never_commit(app, make_campaign, login, monkeypatch):
    cid = make_campaign(code="get", min_group_size=1)
    submit_random(app, cid, 12)
    with app.app_context():
        ballots.count(db.session.get(Campaign, cid), PASSPHRASE)
        target_id = db.session.get(Campaign, cid).targets[0].id
    client = login("staff")
    calls, commits = [], []
    real = adapter.compute
    monkeypatch.setattr(adapter, "compute", lambda c, **kw: calls.append(kw) or real(c, **kw))
    listener = lambda session: commits.append(1)  # noqa: E731
    event.listen(Session, "after_commit", listener)
    try:
        assert client.get(f"/reports/{cid}/targets/{target_id}").status_code == 200
        assert calls == [{}] and commits == []  # computed once within the report view
        assert client.get(f"/reports/{cid}/dashboard").status_code == 200
        assert client.get(f"/admin/campaigns/{cid}/results").status_code == 200
        assert client.get(f"/reports/{cid}/targets/{target_id}").status_code == 200
    finally:
        event.remove(Session, "after_commit", listener)
    assert commits == [] and [kw for kw in calls if not kw] == [{}]
    with app.app_context():  # the cache was written outside the requests' sessions
        campaign = db.session.get(Campaign, cid)
        assert campaign.results_cache_key == adapter.cache_key(campaign)
        assert adapter.ENGINE_VERSION in campaign.results_cache_key


def test_a_report_in_another_process_reads_no_ballot_once_results_are_computed(app, make_campaign, login,
                                                                                monkeypatch):
    """The answer counts per option are kept with the results in the database: a second app
    server (here: this one with its per-process memory cleared) shows a report without
    reading the 200,000 ballots again; within one request the ballots are read once."""
    cid = make_campaign(code="cnt", min_group_size=1)
    submit_random(app, cid, 12)
    with app.app_context():
        ballots.count(db.session.get(Campaign, cid), PASSPHRASE)
        target_id = db.session.get(Campaign, cid).targets[0].id
    client = login("staff")
    reads = []
    real = adapter._read_packed
    monkeypatch.setattr(adapter, "_read_packed", lambda c: reads.append(c.id) or real(c))
    first = client.get(f"/reports/{cid}/targets/{target_id}")
    assert first.status_code == 200 and reads == [cid]  # results and counts from one read
    adapter._COMPUTED.clear()
    again = client.get(f"/reports/{cid}/targets/{target_id}")
    assert again.status_code == 200 and reads == [cid]
    # the same page but for its signed form tokens (timestamped)
    token = re.compile(r"[\w-]+\.[\w-]{6}\.[\w-]{27}")
    assert token.sub("", again.get_data(as_text=True)) == token.sub("", first.get_data(as_text=True))
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        assert adapter.results(campaign) == adapter.compute(campaign)  # the counts are not part of the results


def test_sensitivity_is_kept_with_the_results_for_every_app_server(app, make_campaign, monkeypatch):
    cid = make_campaign(code="sens", min_group_size=1)
    submit_random(app, cid, 12)
    with app.app_context():
        ballots.count(db.session.get(Campaign, cid), PASSPHRASE)
    calls = []
    real = adapter.compute
    monkeypatch.setattr(adapter, "compute", lambda c, **kw: calls.append(kw) or real(c, **kw))
    with app.test_request_context("/"):  # a GET: written through a short transaction of its own
        campaign = db.session.get(Campaign, cid)
        plain = adapter.results(campaign)
        excluded = adapter.sensitivity(campaign, exclude_flagged=True)
    assert calls == [{}, {"exclude_flagged": True}]
    adapter._COMPUTED.clear()  # another app server
    with app.test_request_context("/"):
        campaign = db.session.get(Campaign, cid)
        assert adapter.sensitivity(campaign, exclude_flagged=True) == excluded
        assert adapter.results(campaign) == plain and not any(k.startswith("_") for k in plain)
    assert calls == [{}, {"exclude_flagged": True}]  # nothing scored again
    with app.app_context():
        assert adapter.results(db.session.get(Campaign, cid)) == adapter.compute(db.session.get(Campaign, cid))


def test_the_counting_shuffle_draws_every_order_equally_often():
    """A chi-square test over the 24 orders of 4 items, 24,000 shuffles: a biased or fixed
    shuffle fails it (its 0.1 % critical value for 23 degrees of freedom is 49.7)."""
    from collections import Counter
    seen = Counter()
    for _ in range(24000):
        items = ["a", "b", "c", "d"]
        counting.shuffle(items)
        seen[tuple(items)] += 1
    assert len(seen) == 24 and all(sorted(order) == ["a", "b", "c", "d"] for order in seen)
    chi2 = sum((n - 1000) ** 2 / 1000 for n in seen.values())
    assert chi2 < 49.7, chi2
    assert counting.shuffle([]) is None and counting.shuffle(one := ["x"]) is None and one == ["x"]


@pytest.mark.parametrize("alone", [False, True], ids=["another-box-seen", "another-box-mixed-in-meanwhile"])
def test_emptying_the_box_at_counting_never_takes_another_campaigns_envelopes(app, make_campaign, monkeypatch, alone):
    """SQLite empties the whole box table when the counted campaign is alone in it; another
    campaign's envelopes are kept, and if they arrive unseen the count rolls back."""
    from survey_app.ballots import mixing
    app.config.update(COUNT_POOL_THRESHOLD=1, COUNT_WORKERS=2, COUNT_CHUNK=3)  # the early empty
    cid, other = make_campaign(code="one", min_group_size=1), make_campaign(code="two", min_group_size=1)
    submit_random(app, cid, 8)
    submit_random(app, other, 6, seed=2)
    with app.app_context():
        mixing.mix(final=other)  # the other campaign's envelopes are in the box too
        boxed = db.session.execute(select(func.count()).select_from(Envelope)
                                   .where(Envelope.campaign_id == other)).scalar_one()
    assert boxed == 6
    if alone:  # as if the other campaign's envelopes came in between the look and the delete
        monkeypatch.setattr(mixing, "_alone_in_box", lambda campaign_id: True)
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
        if alone and not postgres:
            with pytest.raises(mixing.BoxNotEmptied):
                ballots.count(db.session.get(Campaign, cid), PASSPHRASE)
            assert db.session.get(Campaign, cid).counted_at is None
        else:
            assert ballots.count(db.session.get(Campaign, cid), PASSPHRASE) == 8
        left = dict(db.session.execute(select(Envelope.campaign_id, func.count()).group_by(Envelope.campaign_id)).all())
        left.update(dict(db.session.execute(select(InboxEnvelope.campaign_id, func.count())
                                            .group_by(InboxEnvelope.campaign_id)).all()))
    assert left.get(other) == 6
    assert left.get(cid, 0) == (8 if alone and not postgres else 0)


@pytest.mark.parametrize("pool", [False, True], ids=["in-process", "pool"])
def test_a_wrong_passphrase_opens_nothing_and_no_process_keeps_the_key(app, make_campaign, pool):
    """The passphrases are derived while the workers start and the box is listed: a wrong
    one ends the run before any envelope is opened, and after a count no key is left in
    this process's worker state."""
    if pool:
        app.config.update(COUNT_POOL_THRESHOLD=1, COUNT_WORKERS=2, COUNT_CHUNK=3)
    cid = make_campaign(code="wrong", min_group_size=1)
    submit_random(app, cid, 9)
    opened = []
    real = counting._open_chunk
    with app.app_context():
        with pytest.raises(keys.WrongOfficerPassphrase):
            ballots.count(db.session.get(Campaign, cid), "not the counting passphrase")
        assert db.session.execute(select(func.count()).select_from(CountingRun)).scalar_one() == 0
        assert db.session.get(Campaign, cid).counted_at is None and db.session.get(CountingPanel, cid) is not None
        with pytest.raises(keys.TooFewOfficers):
            ballots.count(db.session.get(Campaign, cid), {})
        assert counting._WORKER == {}
    assert envelopes(app) == 9
    counting._open_chunk = lambda key, sealed: opened.append(len(sealed)) or real(key, sealed)
    try:
        with app.app_context():
            assert ballots.count(db.session.get(Campaign, cid), PASSPHRASE) == 9
            assert counting._WORKER == {}  # the in-process opener forgot the key too
    finally:
        counting._open_chunk = real
    assert sum(opened) == (0 if pool else 9)  # with the pool, the workers opened them all
    assert envelopes(app) == 0
