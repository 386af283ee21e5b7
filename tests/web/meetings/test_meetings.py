"""A decision meeting end to end: one code per member, secret votes, the rule on N, quorum, the words on its pages."""
import pytest
from sqlalchemy import select

from survey_app.ballots import operations as ballots
from survey_app.extensions import db
from survey_app.models import AccessCode, Campaign

from tests.web.meetings.conftest import close_and_count, vote


def _tally(app, campaign_id) -> dict:
    with app.app_context():
        return db.session.get(Campaign, campaign_id).counted_results


def _rows(tally) -> dict:
    return {row["kind"]: row for row in tally["matters"]}


@pytest.mark.parametrize("members, ordinary, especially_major", [(6, 4, 4), (7, 4, 5), (8, 5, 6), (9, 5, 6)])
def test_the_rule_is_computed_on_the_members(app, make_meeting, members, ordinary, especially_major):
    """Every member votes: the ordinary matter gets exactly its majority, the especially major
    one one vote short of two thirds, the personnel matter one short of a majority."""
    cid, codes = make_meeting(members=members)
    assert len(codes) == members
    for i, code in enumerate(codes):
        vote(app, cid, code, ["agree" if i < ordinary else "disagree",
                              "agree" if i < especially_major - 1 else "abstain",
                              "agree" if i < ordinary - 1 else None])
    close_and_count(app, cid)
    tally = _tally(app, cid)
    rows = _rows(tally)
    assert (tally["members"], tally["voted"], tally["not_voted"]) == (members, members, 0)
    assert rows["ordinary"]["votes_needed"] == rows["personnel"]["votes_needed"] == ordinary
    assert rows["especially_major"]["votes_needed"] == especially_major
    assert (rows["ordinary"]["agree"], rows["ordinary"]["disagree"], rows["ordinary"]["outcome"]) == \
        (ordinary, members - ordinary, "passed")
    assert (rows["especially_major"]["agree"], rows["especially_major"]["abstain"]) == \
        (especially_major - 1, members - especially_major + 1)
    assert rows["especially_major"]["outcome"] == "not_passed"
    assert (rows["personnel"]["agree"], rows["personnel"]["blank"], rows["personnel"]["outcome"]) == \
        (ordinary - 1, members - ordinary + 1, "not_passed")


@pytest.mark.parametrize("voting, outcomes", [
    # 9 members: more than half is 5, two thirds (personnel) is 6
    (5, {"ordinary": "passed", "especially_major": "not_passed", "personnel": "not_decided"}),
    (4, {"ordinary": "not_decided", "especially_major": "not_decided", "personnel": "not_decided"}),
    (6, {"ordinary": "passed", "especially_major": "passed", "personnel": "passed"}),
])
def test_quorum_exactly_met_or_missed(app, make_meeting, voting, outcomes):
    cid, codes = make_meeting(members=9)
    for code in codes[:voting]:
        vote(app, cid, code, ["agree", "agree", "agree"])
    close_and_count(app, cid)
    tally = _tally(app, cid)
    assert (tally["voted"], tally["not_voted"]) == (voting, 9 - voting)
    assert {kind: row["outcome"] for kind, row in _rows(tally).items()} == outcomes
    assert {kind: row["quorum_needed"] for kind, row in _rows(tally).items()} == \
        {"ordinary": 5, "especially_major": 5, "personnel": 6}


def test_the_quorum_is_configurable(app, make_meeting):
    cid, codes = make_meeting(members=8, quorum="all", personnel_quorum="three_quarters")
    for code in codes[:6]:
        vote(app, cid, code, ["agree", "agree", "agree"])
    close_and_count(app, cid)
    rows = _rows(_tally(app, cid))
    assert rows["ordinary"]["outcome"] == "not_decided" and rows["ordinary"]["quorum_needed"] == 8
    assert rows["personnel"]["outcome"] == "passed" and rows["personnel"]["quorum_needed"] == 6


def test_abstentions_and_blank_ballots_count_as_voting_not_as_agreeing(app, make_meeting):
    cid, codes = make_meeting(members=7)
    for code in codes[:4]:
        vote(app, cid, code, ["agree", "agree", "abstain"])
    vote(app, cid, codes[4], ["abstain", "disagree", None])
    vote(app, cid, codes[5], [None, None, None])  # a blank ballot
    close_and_count(app, cid)
    tally = _tally(app, cid)
    rows = _rows(tally)
    assert tally["voted"] == 6 and tally["not_voted"] == 1
    assert (rows["ordinary"]["agree"], rows["ordinary"]["abstain"], rows["ordinary"]["blank"]) == (4, 1, 1)
    assert rows["ordinary"]["outcome"] == "passed"                 # 4 of 7
    assert rows["especially_major"]["outcome"] == "not_passed"     # 4 < 5 (two thirds of 7)
    # personnel: 6 voted of 7 meets two thirds (5); nobody agreed
    assert (rows["personnel"]["abstain"], rows["personnel"]["blank"], rows["personnel"]["outcome"]) == \
        (4, 2, "not_passed")


def test_a_second_vote_is_refused(app, client, make_meeting):
    cid, codes = make_meeting(members=6)
    vote(app, cid, codes[0], ["agree", "agree", "agree"])
    with pytest.raises(ballots.CodeRefused) as refused:
        vote(app, cid, codes[0], ["disagree", "disagree", "disagree"])
    assert refused.value.reason == "used"
    page = client.post("/answer", data={"code": codes[0]}, follow_redirects=True)
    assert 'data-reason="used"' in page.get_data(as_text=True)
    with app.app_context():
        assert ballots.turnout(db.session.get(Campaign, cid))[0].received == 1


def test_one_code_per_member(app, make_meeting, login, runner):
    cid, codes = make_meeting(members=6)
    staff = login("staff")
    with app.app_context():
        group_id = db.session.get(Campaign, cid).group("members").id
    r = staff.post(f"/admin/campaigns/{cid}/codes", data={"group": group_id, "count": 1, "format": "csv"})
    assert r.status_code == 302
    assert "one code per member" in staff.get(r.headers["Location"]).get_data(as_text=True)
    result = runner.invoke(args=["codes", "issue", "vote", "members", "1"])
    assert result.exit_code == 2 and "one code per member" in result.output
    r = staff.post(f"/paper/{cid}/print", data={"group": group_id, "count": 1})
    assert r.status_code == 409 and "one ballot per member" in r.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.execute(select(AccessCode).where(AccessCode.campaign_id == cid)).scalars().all()) == 6
        assert ballots.ballots_left(db.session.get(Campaign, cid)) == 0
    # A withdrawn code gives its place back: a member who lost a slip gets a new one.
    staff.post(f"/admin/campaigns/{cid}/codes/revoke", data={"group": group_id, "confirm": "y"})
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        assert ballots.ballots_left(campaign) == 6
        assert len(ballots.issue_codes(campaign, campaign.group("members"), 6)) == 6
        with pytest.raises(ballots.BallotLimit):
            ballots.issue_codes(campaign, campaign.group("members"), 1)


def test_the_member_reads_votes_and_matters_not_targets(app, client, make_meeting):
    cid, codes = make_meeting(members=6)
    client.set_cookie("lang", "zh_CN")
    client.post("/answer", data={"code": codes[0]})
    page = client.get("/answer/questionnaire").get_data(as_text=True)
    assert "表决人" in page and "议题" in page and "同意" in page and "弃权" in page
    assert "被评对象" not in page and "参评身份" not in page
    client.set_cookie("lang", "en")
    page = client.get("/answer/questionnaire").get_data(as_text=True)
    assert "Matter 1" in page and "Especially major matter" in page and "You vote as a member of" in page
    assert "Target" not in page and "You answer as" not in page
    with app.app_context():
        fields = [f"t.{ct.target.code}.q01" for ct in db.session.get(Campaign, cid).campaign_targets]
    # On a phone every matter needs a vote (abstaining is one); only a paper sheet can be left blank.
    refused = client.post("/answer/questionnaire", data={"action": "review"})
    assert refused.status_code == 400 and "Please choose an answer" in refused.get_data(as_text=True)
    review = client.post("/answer/questionnaire", data={"action": "review", **dict.fromkeys(fields, "abstain")})
    page = review.get_data(as_text=True)
    assert "Review your votes" in page and "Cast my vote" in page and "Abstain" in page


def test_no_score_grade_rank_interval_or_alert_for_a_matter(app, make_meeting, login, client):
    from survey_app.admin import operations
    cid, codes = make_meeting(members=6)
    for code in codes[:5]:
        vote(app, cid, code, ["agree", "disagree", "abstain"])
    close_and_count(app, cid)
    staff = login("staff")
    page = staff.get(f"/admin/campaigns/{cid}/results").get_data(as_text=True)
    assert 'id="decision-table"' in page and 'data-result="passed"' in page and 'data-result="not_passed"' in page
    main = page[page.index("<main"):page.index("</main>")]  # (the menu names every section, alert cases too)
    for word in ("Score", "Rank", "interval", "Grade", "Alert", "Satisf", "Prevention", "Warning"):
        assert word not in main, word
    with app.app_context():
        matter_id = db.session.get(Campaign, cid).campaign_targets[0].target_id
    for path in ("dashboard", "results.csv", "results.xlsx", f"targets/{matter_id}", f"targets/{matter_id}.pdf"):
        assert staff.get(f"/reports/{cid}/{path}").status_code == 404, path
    assert "/reports/%d/" % cid not in staff.get("/reports/").get_data(as_text=True)
    with app.app_context():
        operations.publish_campaign(db.session.get(Campaign, cid))
        published = db.session.get(Campaign, cid).published_results
    assert set(published) == {"kind", "campaign", "body", "members", "member_names", "voted", "spoiled", "not_voted",
                              "matters"}
    assert all(set(row) == {"matter", "name", "kind", "agree", "disagree", "abstain", "blank", "votes_needed",
                            "quorum", "quorum_needed", "quorum_met", "outcome"} for row in published["matters"])
    client.set_cookie("lang", "zh_CN")
    public = client.get("/results/vote").get_data(as_text=True)
    assert "议题" in public and "表决" in public and "通过" in public
    public = public[public.index("<main"):public.index("</main>")]
    for word in ("被评对象", "得分", "排名", "等次", "预警", "区间"):
        assert word not in public, word


def test_the_published_bundle_recounts_and_verifies_with_nothing_else(app, make_meeting, tmp_path):
    import io
    import json
    import subprocess
    import sys
    import zipfile

    from survey_app.admin import operations
    cid, codes = make_meeting(members=7)
    for code in codes[:5]:
        vote(app, cid, code, ["agree", "agree", "disagree"])
    vote(app, cid, codes[5], [None, None, None])
    close_and_count(app, cid)
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        operations.publish_campaign(campaign)
        zipfile.ZipFile(io.BytesIO(campaign.published_bundle)).extractall(tmp_path)
    folder = tmp_path / "vote"
    assert {p.name for p in folder.iterdir()} == {"README.txt", "answers.csv", "results.json", "targets.csv",
                                                  "receipts.txt", "recount.py", "signatures.json",
                                                  "verify_signatures.py"}
    assert "PyNaCl" in (folder / "README.txt").read_text(encoding="utf-8")

    def run(script):
        return subprocess.run([sys.executable, "-I", script], cwd=folder, capture_output=True, text=True)

    recount = run("recount.py")
    assert recount.returncode == 0 and "OK" in recount.stdout, recount.stdout + recount.stderr
    assert run("verify_signatures.py").returncode == 0
    # a tally changed in results.json: the recount and the signatures both disagree
    tally = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    assert tally["matters"][2]["outcome"] == "not_passed"
    tally["matters"][2]["outcome"] = "passed"
    from scoring import canonical_json
    (folder / "results.json").write_bytes(canonical_json(tally))
    assert run("recount.py").returncode == 1 and run("verify_signatures.py").returncode == 1


def test_a_meeting_set_up_on_the_command_line(app, runner):
    args = ["meeting", "create", "cli-vote", "--title-zh", "表决", "--title-en", "Vote", "--body-zh", "市纪委常委会",
            "--members", "3", "--member", "甲", "--member", "乙", "--member", "丙",
            "--matter", "ordinary:议题一:One", "--matter", "personnel:议题二"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    with app.app_context():
        campaign = db.session.execute(select(Campaign).where(Campaign.code == "cli-vote")).scalar_one()
        assert (campaign.kind, campaign.members, campaign.member_names) == ("decision", 3, ["甲", "乙", "丙"])
        assert [(ct.target.name_en, ct.matter_kind) for ct in campaign.campaign_targets] == \
            [("One", "ordinary"), ("议题二", "personnel")]
    for bad, says in ((["--matter", "urgent:议题"], "KIND"), (["--members", "4"], "name every member or none")):
        result = runner.invoke(args=["meeting", "create", "bad", "--title-zh", "t", "--title-en", "t", "--body-zh", "b",
                                     "--members", "3", "--member", "甲", "--member", "乙", "--member", "丙",
                                     "--matter", "ordinary:议题一", *bad])
        assert result.exit_code == 2 and says in result.output, result.output
    assert runner.invoke(args=args).exit_code == 2  # the code is taken


@pytest.mark.parametrize("lang, name", [("zh_CN", "表决人"), ("en", "Voting members")])
def test_the_members_group_is_named_not_shown_by_its_code(app, make_meeting, login, lang, name):
    """The group the platform makes for a meeting (code `members`) reads as words on the campaign
    page and in the audit log (codes issued to it), in both languages."""
    import re
    cid, _ = make_meeting(members=5)
    admin = login("admin")
    admin.set_cookie("lang", lang)
    words = lambda html: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()
    page = admin.get(f"/admin/campaigns/{cid}").get_data(as_text=True)
    table = page[page.index('id="turnout"'):page.index("</table>", page.index('id="turnout"'))]
    body = table[table.index("<tbody>"):]
    assert 'data-group="members"' in body and not re.search(r"[A-Za-z]", words(body))  # figures only
    # the codes' forms send the one group without asking: no choice of group, no code in words
    assert not re.search(r'<select[^>]*name="group"', page) and re.search(r'<input type="hidden" name="group"', page)
    if lang == "zh_CN":  # (English prose says "members" as a word)
        assert "members" not in words(page[page.index("<main"):page.index("</main>")])
    audit = admin.get("/admin/audit?action=codes.issue").get_data(as_text=True)
    details = [words(x) for x in re.findall(r'<td class="small details">(.*?)</td>', audit, re.S)]
    group = "评议主体" if lang == "zh_CN" else "group"
    assert details and all(f"{group}: {name}" in d for d in details), details


def _meeting_of_nine_with_paper(app, code: str, phone: int, paper: int):
    """A meeting of 9 opened by the officers, `phone` voting codes issued and `paper` sheets printed,
    with a second clerk to key them: (campaign id, codes, sheet numbers, the sheets' layout)."""
    from survey_app.admin import operations
    from survey_app.auth.operations import create_user
    from survey_app.ballots import keys
    from survey_app.meetings.operations import create_meeting
    from survey_app.paper import sheets

    from tests.web.helpers import PASSWORD
    from tests.web.meetings.conftest import OFFICERS, setup
    with app.app_context():
        create_user("clerk2", PASSWORD, "clerk")
        campaign = create_meeting(code, setup(members=9))
        operations.open_campaign(campaign, [keys.Officer(n, p) for n, p in OFFICERS], 2)
        cid, group = campaign.id, campaign.group("members")
        codes = ballots.issue_codes(campaign, group, phone)
        batch = sheets.print_batch(campaign, group, paper, "staff")
        return cid, codes, list(range(batch.first_number, batch.first_number + batch.count)), \
            sheets.layout(campaign, group)


@pytest.mark.parametrize("blank_on", ["phone", "paper"])
def test_a_blank_ballot_counts_towards_the_quorum_on_a_phone_and_on_paper(app, users, as_user, blank_on):
    """N = 9, quorum more than half (5): 3 members agree on a phone, 2 hand in blank ballots
    (on a phone, or as paper sheets with no box ticked), one more a paper sheet with only the
    first matter marked. Either way 6 voted: the quorum is met and the blanks are blank votes."""
    from survey_app.models import PaperSheet
    cid, codes, numbers, lay = _meeting_of_nine_with_paper(app, "vote9", 6, 3)
    for code in codes[:3]:
        vote(app, cid, code, ["agree", "agree", "agree"])
    if blank_on == "phone":
        for code in codes[3:5]:
            vote(app, cid, code, [None, None, None])
    clerks = [as_user("clerk"), as_user("clerk2")]
    blank = {row.key: "-" * len(row.items) for row in lay.rows}
    first_only = {**blank, lay.rows[0].key: "A" + "-" * (len(lay.rows[0].items) - 1)}
    keyed = ([blank, blank] if blank_on == "paper" else []) + [first_only]
    for number, data in zip(numbers, keyed):
        for clerk in clerks:
            r = clerk.post(f"/paper/{cid}/sheets/{number}", data=data)
            assert r.status_code == 302, r.get_data(as_text=True)
    with app.app_context():
        states = sorted(s.status for s in db.session.execute(
            select(PaperSheet).where(PaperSheet.campaign_id == cid)).scalars() if s.status != "printed")
    assert states == (["ballot", "blank", "blank"] if blank_on == "paper" else ["ballot"])
    close_and_count(app, cid)
    tally = _tally(app, cid)
    rows = _rows(tally)
    assert (tally["members"], tally["voted"], tally["not_voted"]) == (9, 6, 3)
    ordinary = rows["ordinary"]
    assert (ordinary["agree"], ordinary["blank"], ordinary["quorum_needed"], ordinary["quorum_met"]) == (4, 2, 5, True)
    assert ordinary["outcome"] == "not_passed"                       # 4 < 5 of 9: decided, not passed
    assert (rows["especially_major"]["agree"], rows["especially_major"]["blank"]) == (3, 3)
    assert rows["personnel"]["quorum_needed"] == 6 and rows["personnel"]["quorum_met"] is True


def test_the_meeting_page_counts_members_not_expected_respondents(app, make_meeting, login):
    """A meeting's campaign page: members, ballots handed in and their share of N, codes and
    sheets; none of an appraisal's Expected, weight, access or its note on expected respondents."""
    import re
    cid, codes = make_meeting(members=9)
    for code in codes[:4]:
        vote(app, cid, code, ["agree", "agree", "agree"])
    staff = login("staff")
    for lang, words in (("en", ("Members", "Ballots handed in", "Share of the members", "Voting sheets printed")),
                        ("zh_CN", ("成员", "收回表决票", "占成员比例", "印制纸质表决票"))):
        staff.set_cookie("lang", lang)
        page = staff.get(f"/admin/campaigns/{cid}").get_data(as_text=True)
        table = page[page.index('id="turnout"'):page.index("</table>", page.index('id="turnout"'))]
        heads = [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<th[^>]*>(.*?)</th>", table)]
        assert all(w in heads for w in words), heads
        for appraisal in ("Expected", "应参评人数", "Weight", "权重", "Access", "Turnout", "参评率"):
            assert appraisal not in heads, (appraisal, heads)
        assert 'id="expected-note"' not in page
        assert re.search(r'data-field="members">9<', table) and re.search(r'data-field="received">4<', table)
        assert "44.4%" in table  # 4 of 9


def test_a_meeting_issues_voting_codes_in_its_own_words(app, make_meeting, login):
    """A meeting's code section speaks of voting codes (表决码) of its one group of members, which
    the page's form sends without asking; an appraisal's words (测评码, 评议主体) are not in it, and
    the form as the page gives it issues the codes."""
    import re
    cid, _codes = make_meeting(status="draft", members=9)
    staff = login("staff")
    for lang, words, appraisal in (("en", ("Voting codes", "Issue voting codes", "Number of voting codes"),
                                    ("Access codes", "Issue new codes", "Group")),
                                   ("zh_CN", ("表决码", "发放表决码", "表决码数量"), ("测评码", "评议主体"))):
        staff.set_cookie("lang", lang)
        page = staff.get(f"/admin/campaigns/{cid}").get_data(as_text=True)
        start = page.index(f"<h2>{words[0]}</h2>")
        section = page[start:page.index("</div>", page.index("/codes/revoke", start))]
        text = re.sub(r"<[^>]+>", " ", section)
        assert all(w in text for w in words), text
        assert not any(w in text for w in appraisal), text
    form = page[page.index(f'action="/admin/campaigns/{cid}/codes"'):]
    form = form[:form.index("</form>")]
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form))
    assert fields.get("group"), fields  # the one group of members, sent without asking
    reply = staff.post(f"/admin/campaigns/{cid}/codes", data={**fields, "count": "3", "format": "csv"})
    assert reply.status_code == 200, reply.status_code
    assert len([line for line in reply.get_data(as_text=True).splitlines() if line.strip()]) >= 3


def test_a_spoiled_paper_sheet_counts_its_member_present_not_as_a_vote(app, users, as_user, login, tmp_path):
    """N = 9; a personnel matter needs two thirds present (6). Five members agree on a phone and a
    sixth hands in a paper sheet both clerks find spoiled: six were present, so the matter is
    decided and passes (5 of 9 agree, more than half). Counting only ballots (5) would have said
    "not decided". The bundle's own recount agrees, and the result page says why."""
    import io
    import subprocess
    import sys
    import zipfile

    from survey_app.admin import operations
    from survey_app.models import PaperSheet
    cid, codes, (number,), _ = _meeting_of_nine_with_paper(app, "vote9s", 5, 1)
    for code in codes:
        vote(app, cid, code, ["agree", "disagree", "agree"])
    for clerk in (as_user("clerk"), as_user("clerk2")):
        r = clerk.post(f"/paper/{cid}/sheets/{number}", data={"spoiled": "y"})
        assert r.status_code == 302, r.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(PaperSheet.status).where(PaperSheet.campaign_id == cid)).scalars().all() \
            == ["spoiled"]
    close_and_count(app, cid)
    tally = _tally(app, cid)
    rows = _rows(tally)
    assert (tally["members"], tally["voted"], tally["spoiled"], tally["not_voted"]) == (9, 5, 1, 3)
    personnel = rows["personnel"]
    assert (personnel["agree"], personnel["blank"], personnel["quorum_needed"]) == (5, 0, 6)
    assert personnel["quorum_met"] is True and personnel["outcome"] == "passed"
    assert rows["especially_major"]["outcome"] == "not_passed"        # decided: 0 of the 6 needed agree
    staff = login("staff")
    for lang, words in (("zh_CN", "另有1名成员交回的纸质表决票被认定为废票或无效"),
                        ("en", "1 more member handed in a spoiled or invalid paper sheet")):
        staff.set_cookie("lang", lang)
        page = staff.get(f"/admin/campaigns/{cid}/results").get_data(as_text=True)
        assert 'id="decision-spoiled"' in page and words in page
        minutes = staff.get(f"/admin/meetings/{cid}/minutes.pdf?lang={lang[:2]}")
        (tmp_path / f"minutes-{lang}.pdf").write_bytes(minutes.data)
        text = subprocess.run(["pdftotext", str(tmp_path / f"minutes-{lang}.pdf"), "-"], capture_output=True,
                              text=True, check=True).stdout
        assert "".join(words.split()) in "".join(text.split()), text
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        operations.publish_campaign(campaign)
        zipfile.ZipFile(io.BytesIO(campaign.published_bundle)).extractall(tmp_path)
    recount = subprocess.run([sys.executable, "-I", "recount.py"], cwd=tmp_path / "vote9s", capture_output=True,
                             text=True)
    assert recount.returncode == 0 and "OK" in recount.stdout, recount.stdout + recount.stderr
