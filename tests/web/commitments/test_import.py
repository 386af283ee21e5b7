"""Commitments from a CSV or XLSX file: every problem named by its line, nothing stored until the
checked preview is confirmed, and only targets in the importer's scope."""
import io

from openpyxl import Workbook

from survey_app.extensions import db
from survey_app.models import AuditEntry, Commitment

HEADER = "target,text_zh,text_en,deadline,announced_on,category\n"


def csv_file(body: str, name="commitments.csv"):
    return {"file": (io.BytesIO((HEADER + body).encode("utf-8")), name)}


def test_problems_are_listed_by_line_and_nothing_is_stored(app, people, as_user):
    staff = as_user("staff")
    response = staff.post("/commitments/import", content_type="multipart/form-data", data=csv_file(
        "la,新建幼儿园,Nurseries,2026-12-31,2026-01-10,民生\n"      # line 2: fine
        "nobody,治理河道,,2026-12-31,,\n"                            # line 3: unknown target
        "lb,,River,31.12.2026,,\n"                                   # line 4: no text, bad date
        "la,修路,Roads,2026-10-01,someday,tourism\n"))               # line 5: bad date, category
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    rows = {line: problem for line, problem in
            __import__("re").findall(r'<td class="num">(\d+)</td><td>([^<]+)</td>', text)}
    assert set(rows) == {"3", "4", "5"}
    assert "nobody" in rows["3"]
    assert "announced_on" in text and "tourism" in text and "31.12.2026" in text
    with app.app_context():
        assert db.session.query(Commitment).count() == 0


def test_a_checked_xlsx_is_previewed_then_imported_published(app, people, as_user):
    book = Workbook()
    sheet = book.active
    sheet.append(["Target", "text_zh", "text_en", "deadline", "category"])
    sheet.append(["la", "新建幼儿园", "Nurseries", "2026/12/31", "livelihood"])
    sheet.append(["unit", "办事不出村", "Services in every village", "2026-06-30", "治理"])
    data = io.BytesIO()
    book.save(data)
    staff = as_user("staff")
    preview = staff.post("/commitments/import", content_type="multipart/form-data",
                         data={"file": (io.BytesIO(data.getvalue()), "c.xlsx")})
    assert preview.status_code == 200
    payload = __import__("re").search(r'name="payload" value="([^"]+)"', preview.get_data(as_text=True)).group(1)
    with app.app_context():
        assert db.session.query(Commitment).count() == 0
    tampered = staff.post("/commitments/import", data={"payload": payload[:-3] + "abc", "publish": "y"})
    assert tampered.status_code == 400
    assert staff.post("/commitments/import", data={"payload": payload, "publish": "y"}).status_code == 302
    with app.app_context():
        stored = db.session.query(Commitment).order_by(Commitment.id).all()
        assert [(c.target.code, c.state, c.category, c.deadline.isoformat()) for c in stored] == [
            ("la", "published", "livelihood", "2026-12-31"), ("unit", "published", "governance", "2026-06-30")]
        assert db.session.query(AuditEntry).filter_by(action="commitments.import").one().details["count"] == 2
    assert "Services in every village" in app.test_client().get("/promises/unit").get_data(as_text=True)


def test_scoped_staff_import_only_their_targets(app, people, as_user):
    response = as_user("staff-a").post("/commitments/import", content_type="multipart/form-data",
                                       data=csv_file("lb,治理河道,River,2026-12-31,,\n"))
    assert response.status_code == 400 and "lb" in response.get_data(as_text=True)
    assert as_user("leader-a").get("/commitments/import").status_code == 403
