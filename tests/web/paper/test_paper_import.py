"""Importing answers.csv: all or nothing, errors with row numbers, every ballot one sealed envelope."""
import io

import pytest
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import Campaign, InboxEnvelope, PaperImport, TurnoutDay

HEADER = "ballot,group,target,item,option\n"


def good_csv(ballots=3, option="A"):
    lines = [HEADER]
    for b in range(1, ballots + 1):
        lines.append(f"x{b},hall,,q01,counter\n")
        for t in (1, 2, 3):
            for i in range(2, 14):
                lines.append(f"x{b},hall,pc-t{t},q{i:02d},{option}\n")
    return "".join(lines)


def upload(client, cid, text, name="answers.csv"):
    data = {"file": (io.BytesIO(text.encode("utf-8") if isinstance(text, str) else text), name)}
    return client.post(f"/paper/{cid}/import", data=data, content_type="multipart/form-data")


def test_import_seals_each_ballot(app, paper_campaign, users, as_user, count_rows):
    response = upload(as_user("staff"), paper_campaign, good_csv(3))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert count_rows(InboxEnvelope) == 3 and count_rows(PaperImport) == 1
    with app.app_context():
        assert db.session.execute(select(func.sum(TurnoutDay.count))).scalar_one() == 3
    # the same file twice is refused and changes nothing
    again = upload(as_user("staff"), paper_campaign, good_csv(3))
    assert again.status_code == 400 and "imported" in again.get_data(as_text=True)
    assert count_rows(InboxEnvelope) == 3


BAD_ROWS = [
    ("x1,hall,pc-t1,q02,Z\n", "option"),
    ("x1,nogroup,pc-t1,q02,A\n", "unknown group"),
    ("x1,hall,pc-t9,q02,A\n", "unknown target"),
    ("x1,hall,pc-t1,q99,A\n", "unknown item"),
    ("x1,public,pc-t1,q02,A\n", "two groups"),
    ("x1,hall,pc-t1,q02,B\n", "twice"),
    ("x1,hall,,q02,A\n", "target is missing"),
    ("x1,hall,pc-t1,q01,counter\n", "leave the target empty"),
    ("x1,hall,pc-t1,q14,hello\n", "free-text"),
    ("x 1,hall,pc-t1,q02,A\n", "ballot id"),
    ("x1,hall,pc-t1\n", "fields expected"),
]


@pytest.mark.parametrize("bad, reason", BAD_ROWS)
def test_bad_row_is_reported_with_its_number_and_nothing_is_stored(app, paper_campaign, users, as_user,
                                                                   count_rows, bad, reason):
    text = HEADER + "x1,hall,pc-t1,q02,A\nx2,hall,pc-t1,q02,B\n" + bad
    response = upload(as_user("staff"), paper_campaign, text)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'data-row="4"' in html and reason in html, html[html.find("import-problems"):][:600]
    assert count_rows(InboxEnvelope) == 0 and count_rows(PaperImport) == 0


@pytest.mark.parametrize("text", ["", "a,b,c\n1,2,3\n", HEADER, b"\xff\xfe\x00bad"])
def test_malformed_files(app, paper_campaign, users, as_user, count_rows, text):
    response = upload(as_user("staff"), paper_campaign, text)
    assert response.status_code == 400 and 'data-row="1"' in response.get_data(as_text=True)
    assert count_rows(InboxEnvelope) == 0


def test_import_needs_staff(app, paper_campaign, users, as_user, count_rows):
    assert upload(as_user("clerk"), paper_campaign, good_csv(1)).status_code == 403
    assert upload(as_user("auditor"), paper_campaign, good_csv(1)).status_code == 403
    assert count_rows(InboxEnvelope) == 0


def test_cli_import(app, paper_campaign, runner, tmp_path, count_rows):
    good = tmp_path / "answers.csv"
    good.write_text(good_csv(2), encoding="utf-8")
    result = runner.invoke(args=["paper", "import", "pc", str(good)])
    assert result.exit_code == 0, result.output
    assert "2 ballots imported" in result.output
    assert count_rows(InboxEnvelope) == 2


def test_cli_import_bad_file_exits_2_and_stores_nothing(app, paper_campaign, runner, tmp_path, count_rows):
    bad = tmp_path / "bad.csv"
    bad.write_text(good_csv(2).replace("x2,hall,pc-t2,q05,A", "x2,hall,pc-t2,q05,Q"), encoding="utf-8")
    lines = good_csv(2).splitlines()
    row = lines.index("x2,hall,pc-t2,q05,A") + 1
    result = runner.invoke(args=["paper", "import", "pc", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}, row {row}: " in result.output
    assert count_rows(InboxEnvelope) == 0
    missing = runner.invoke(args=["paper", "import", "pc", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2
    unknown = runner.invoke(args=["paper", "import", "nocampaign", str(bad)])
    assert unknown.exit_code == 2


def test_import_refused_after_counting(app, paper_campaign, users, as_user, count_rows):
    from tests.web.helpers import close_and_count
    with app.app_context():
        close_and_count(db.session.get(Campaign, paper_campaign))
    response = upload(as_user("staff"), paper_campaign, good_csv(1))
    assert response.status_code == 400
    assert count_rows(InboxEnvelope) == 0 and count_rows(PaperImport) == 0
