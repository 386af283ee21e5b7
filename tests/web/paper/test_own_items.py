"""A target's own items (its commitments, 评诺) on paper: each target's block of the printed sheet
grows by its own commitment rows and no other's, the keying form asks them in the same order after
the items every target is asked, and a keyed or imported answer to one leader's commitment about
another leader is refused."""
import io

import pdfplumber
import pytest
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import Campaign, InboxEnvelope
from survey_app.paper import imports, letters, sheets

from tests.web.rating import COMMITMENTS, make_rating_campaign

#: leader code -> the words (zh, en) of its published commitments, in the order entered
PROMISES = {"pr-a": [(zh, en) for _n, leader, state, zh, en in COMMITMENTS if leader == "pr-a" and state == "published"],
            "pr-b": [(zh, en) for _n, leader, state, zh, en in COMMITMENTS if leader == "pr-b" and state == "published"]}
DRAFT = next((zh, en) for _n, _leader, state, zh, en in COMMITMENTS if state == "draft")
NAMES = {"pr-a": "张副市长", "pr-b": "李副市长"}


@pytest.fixture
def promise_campaign(app):
    """An open campaign rating two leaders' commitments: group "hall" on paper, 10 sheets printed."""
    cid, _ids = make_rating_campaign(app, code="pn", groups=(("hall", 1.0, "code"),))
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        sheets.print_batch(campaign, campaign.group("hall"), 10, "staff")
    return cid


def _layout(cid):
    campaign = db.session.get(Campaign, cid)
    return campaign, sheets.layout(campaign, campaign.group("hall"))


def test_each_block_grows_by_its_own_commitments_in_the_keying_order(app, promise_campaign):
    with app.app_context():
        campaign, lay = _layout(promise_campaign)
        rows = {r.target.code: r for r in lay.rows if r.target}
        shared = len([i for i in campaign.questionnaire_version.parsed.items_for("hall")
                      if i.per_target and i.type in ("rating", "single")])
        assert [r.own for r in rows.values()] == [2, 1]
        assert [len(r.items) for r in rows.values()] == [shared + 2, shared + 1]
        # the own items come last, in the order they were frozen, with the commitment's words
        assert [zh in i.text.zh for (_n, i), (zh, _en) in zip(rows["pr-a"].own_items, PROMISES["pr-a"])] == [True, True]
        assert [n for n, _i in rows["pr-a"].own_items] == [shared + 1, shared + 2]
        assert rows["pr-a"].shared_items == rows["pr-b"].shared_items


@pytest.mark.parametrize("matrix", [False, True], ids=["block", "matrix"])
def test_each_target_s_commitments_are_printed_on_its_own_block_only(app, promise_campaign, matrix):
    with app.app_context(), app.test_request_context():
        campaign, lay = _layout(promise_campaign)
        pdf = sheets.sheet_body_pdf(campaign, campaign.group("hall"), matrix=matrix)
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        words = [(page.page_number, w) for page in doc.pages for w in page.extract_words(keep_blank_chars=True)]
        text = "".join(page.extract_text() or "" for page in doc.pages).replace("\n", "")
    flat = text.replace(" ", "")
    for code, promises in PROMISES.items():
        for zh, en in promises:
            assert flat.count(zh) == 1, (code, zh)  # printed once: on its leader's block and no other
            assert en.replace(" ", "") in flat
    assert DRAFT[0] not in flat

    def top(needle):  # where a line holding the words starts: page, then height on the page
        hits = [(p, w["top"]) for p, w in words if needle in w["text"].replace(" ", "")]
        assert hits, needle
        return hits[0]
    # leader A's heading, then its commitments, then leader B's heading and its one commitment
    order = [top(NAMES["pr-a"]), top(PROMISES["pr-a"][0][0]), top(PROMISES["pr-a"][1][0]), top(NAMES["pr-b"]),
             top(PROMISES["pr-b"][0][0])]
    assert order == sorted(order)


def test_keying_form_asks_the_own_items_after_the_shared_ones(app, promise_campaign, as_user, users):
    with app.app_context():
        _campaign, lay = _layout(promise_campaign)
        rows = {r.target.code: r for r in lay.rows if r.target}
    page = as_user("clerk").get(f"/paper/{promise_campaign}/sheets/1")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'data-len="{len(rows["pr-a"].items)}"' in html and f'data-len="{len(rows["pr-b"].items)}"' in html
    la, lb = html.index('id="o-r.pr-a"'), html.index('id="o-r.pr-b"')
    assert la < html.index(PROMISES["pr-a"][1][1]) < lb < html.index(PROMISES["pr-b"][0][1])  # (in English)


def test_keyed_letters_answer_each_leader_s_own_commitments(app, promise_campaign):
    with app.app_context():
        _campaign, lay = _layout(promise_campaign)
        form = {r.key: "A" * (len(r.items) - r.own) + "BC"[:r.own] for r in lay.rows if r.target}
        keyed, errors = letters.parse_keyed(lay, form)
        assert not errors
        content, errors = letters.to_content(lay, keyed)
        assert not errors
        rows = {r.target.code: r for r in lay.rows if r.target}
        own = {(t, i, o) for t, i, o in content.answers if i.startswith("p.")}
        assert own == {("pr-a", rows["pr-a"].own_items[0][1].code, "B"), ("pr-a", rows["pr-a"].own_items[1][1].code, "C"),
                       ("pr-b", rows["pr-b"].own_items[0][1].code, "B")}
        # a row keyed with another target's length is refused: B has one own item, not two
        form["r.pr-b"] = "A" * len(rows["pr-a"].items)
        _keyed, errors = letters.parse_keyed(lay, form)
        assert "r.pr-b" in errors


def test_import_refuses_an_answer_to_another_leader_s_commitment(app, promise_campaign):
    with app.app_context():
        campaign, lay = _layout(promise_campaign)
        rows = {r.target.code: r for r in lay.rows if r.target}
        mine, theirs = rows["pr-b"].own_items[0][1].code, rows["pr-a"].own_items[0][1].code
        good = f"ballot,group,target,item,option\nb1,hall,pr-b,{mine},A\nb1,hall,pr-a,{theirs},B\n".encode()
        bad = f"ballot,group,target,item,option\nb2,hall,pr-b,{mine},A\nb2,hall,pr-b,{theirs},B\n".encode()
        with pytest.raises(imports.ImportInvalid) as refused:
            imports.import_answers(campaign, bad, "bad.csv", "staff")
        assert [p.row for p in refused.value.problems] == [3]
        assert theirs in refused.value.problems[0].reason
        assert db.session.execute(select(func.count()).select_from(InboxEnvelope)).scalar_one() == 0
        assert imports.import_answers(campaign, good, "good.csv", "staff") == {"hall": 1}
