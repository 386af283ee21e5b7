"""Members, matters and their kinds are fixed once the box is sealed: every door that could move
a result, on the web and on the command line, is tried while voting runs and after counting."""
import pytest
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import AccessCode, Campaign, PaperSheet, Target

from tests.web.meetings.conftest import close_and_count, vote


def _decisive(app, cid) -> tuple:
    """Everything a decision meeting's result depends on, and the result itself."""
    with app.app_context():
        c = db.session.get(Campaign, cid)
        return (c.kind, c.members, c.member_names, c.quorum, c.personnel_quorum,
                [(ct.target.code, ct.target.kind, ct.target.name_zh, ct.matter_kind) for ct in c.campaign_targets],
                [(g.code, g.weight, g.expected, g.access) for g in c.groups],
                db.session.execute(select(func.count()).select_from(AccessCode)
                                   .where(AccessCode.campaign_id == cid, AccessCode.state != "revoked")).scalar(),
                db.session.execute(select(func.count()).select_from(PaperSheet)
                                   .where(PaperSheet.campaign_id == cid)).scalar(),
                c.counted_results, c.results_sha256)


def _meeting_form(**changes) -> dict:
    data = {"code": "vote", "title_zh": "表决", "title_en": "Vote", "body_zh": "市纪委常委会", "body_en": "Committee",
            "members": "9", "member_names": "", "quorum": "more_than_half", "personnel_quorum": "two_thirds",
            "matters-0-name_zh": "议题一", "matters-0-name_en": "One", "matters-0-kind": "ordinary"}
    data.update(changes)
    return data


#: every web request that could change what decides the result: (method, path template, form data)
WEB_ATTEMPTS = [
    ("post", "/admin/meetings/{cid}/edit", _meeting_form(members="8")),
    ("post", "/admin/meetings/{cid}/edit", _meeting_form(quorum="all")),
    ("post", "/admin/meetings/{cid}/edit", _meeting_form(personnel_quorum="more_than_half")),
    ("post", "/admin/meetings/{cid}/edit", _meeting_form(**{"matters-0-kind": "especially_major"})),
    ("post", "/admin/meetings/{cid}/edit", _meeting_form(member_names="\n".join("ABCDEFGHI"))),
    ("post", "/admin/meetings/{cid}/edit", _meeting_form(**{"matters-1-name_zh": "新议题", "matters-1-kind": "ordinary"})),
    ("post", "/admin/campaigns/{cid}/groups/{gid}", {"name_zh": "表决人", "name_en": "Members", "weight": "1",
                                                     "expected": "5"}),
    ("post", "/admin/campaigns/{cid}/groups/new", {"code": "extra", "name_zh": "x", "name_en": "x", "weight": "1",
                                                   "access": "public", "expected": "0"}),
    ("post", "/admin/campaigns/{cid}/targets", {"action": "add", "new-code": "extra", "new-kind": "unit",
                                                "new-name_zh": "x", "new-name_en": "x"}),
    ("post", "/admin/campaigns/{cid}/targets/{ctid}/report", {"report_zh": "x", "report_en": "x"}),
    ("post", "/admin/campaigns/{cid}/copy", {"source": "1"}),
    ("post", "/admin/campaigns/{cid}/edit", {"title_zh": "表决", "title_en": "Vote", "kind": "sector_style",
                                             "questionnaire_version": "1", "min_group_size": "5"}),
    ("post", "/admin/campaigns/{cid}/codes", {"group": "{gid}", "count": "1", "format": "csv"}),
    ("post", "/paper/{cid}/print", {"group": "{gid}", "count": "1"}),
]

#: every command that could do the same
CLI_ATTEMPTS = [
    ["meeting", "set", "vote", "--members", "8"],
    ["meeting", "set", "vote", "--quorum", "all"],
    ["meeting", "set", "vote", "--personnel-quorum", "more_than_half"],
    ["meeting", "set", "vote", "--matter-kind", "1=especially_major"],
    ["meeting", "set", "vote", *[arg for name in "ABCDEFGHI" for arg in ("--member", name)]],
    ["meeting", "set", "vote", "--matter", "ordinary:新议题"],
    ["codes", "issue", "vote", "members", "1"],
]


def _ids(app, cid):
    with app.app_context():
        c = db.session.get(Campaign, cid)
        return c.group("members").id, c.campaign_targets[0].id


def _try_everything(app, cid, staff, runner, tmp_path) -> list:
    gid, ctid = _ids(app, cid)
    outcomes = []
    for method, path, data in WEB_ATTEMPTS:
        form = {k: v.format(gid=gid) if isinstance(v, str) else v for k, v in data.items()}
        r = getattr(staff, method)(path.format(cid=cid, gid=gid, ctid=ctid), data=form)
        outcomes.append((path, r.status_code))
    for args in CLI_ATTEMPTS + [["paper", "print", "vote", "members", "1", "--out", str(tmp_path / "x.pdf")]]:
        result = runner.invoke(args=args)
        outcomes.append((" ".join(args[:2]), result.exit_code))
    return outcomes


def test_before_voting_opens_the_secretary_can_change_everything(app, make_meeting, login, runner):
    cid, _codes = make_meeting(status="draft", members=9, matters=[("ordinary", "议题一", "One")])
    staff = login("staff")
    before = _decisive(app, cid)
    r = staff.post(f"/admin/meetings/{cid}/edit", data=_meeting_form(
        members="7", quorum="two_thirds", **{"matters-0-kind": "personnel", "matters-1-name_zh": "议题二",
                                             "matters-1-kind": "especially_major"}))
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    assert runner.invoke(args=["meeting", "set", "vote", "--personnel-quorum", "all"]).exit_code == 0
    assert runner.invoke(args=["meeting", "set", "vote", "--matter-kind", "2=ordinary"]).exit_code == 0
    with app.app_context():
        c = db.session.get(Campaign, cid)
        assert (c.members, c.quorum, c.personnel_quorum) == (7, "two_thirds", "all")
        assert [(ct.target.name_zh, ct.matter_kind) for ct in c.campaign_targets] == \
            [("议题一", "personnel"), ("议题二", "ordinary")]
    assert _decisive(app, cid) != before


@pytest.mark.parametrize("moment", ["voting", "counted"])
def test_once_the_box_is_sealed_nothing_that_decides_moves(app, make_meeting, login, runner, tmp_path, moment):
    cid, codes = make_meeting(members=9)
    for code in codes[:6]:
        vote(app, cid, code, ["agree", "agree", "disagree"])
    if moment == "counted":
        close_and_count(app, cid)
    staff = login("staff")
    before = _decisive(app, cid)
    outcomes = _try_everything(app, cid, staff, runner, tmp_path)
    refused = {path: status for path, status in outcomes}
    assert all(status in (400, 404, 409, 2) or (path.endswith("/codes") and status == 302)
               for path, status in outcomes), outcomes
    assert refused["/admin/meetings/{cid}/edit"] == 409 and refused["meeting set"] == 2
    assert _decisive(app, cid) == before
    if moment == "counted":
        assert runner.invoke(args=["campaign", "count", "vote", "--passphrase", "王守正=officer one passphrase",
                                   "--passphrase", "刘清源=officer two passphrase"]).exit_code == 2
        assert _decisive(app, cid) == before


def test_a_matter_cannot_be_renamed_through_another_campaigns_import(app, make_meeting, make_campaign, login):
    cid, _codes = make_meeting(members=6)
    other = make_campaign(code="other", status="draft")
    with app.app_context():
        matter = db.session.get(Campaign, cid).campaign_targets[0].target.code
    staff = login("staff")
    from io import BytesIO
    csv = f"code,kind,name_zh,name_en\n{matter},unit,改名,Renamed\n".encode()
    r = staff.post(f"/admin/campaigns/{other}/targets/import", data={"file": (BytesIO(csv), "t.csv")},
                   content_type="multipart/form-data")
    assert "is a matter of a decision meeting" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(Target.name_zh).where(Target.code == matter)).scalar_one() == "关于年度工作方案"
