"""A file with more problems than are worth listing: refused after the first thousand, saying so first."""
from survey_app.models import InboxEnvelope, PaperImport

from .test_paper_import import HEADER, upload


def test_reading_stops_after_a_thousand_problems(app, paper_campaign, users, as_user, count_rows):
    text = HEADER + "".join(f"x{n},nogroup,pc-t1,q02,A\n" for n in range(1, 1201))
    response = upload(as_user("staff"), paper_campaign, text)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    listed = html[html.find("import-problems"):]
    assert listed.find("more than 1000 problems") < listed.find("unknown group"), listed[:600]
    assert 'data-row="1001"' in html and 'data-row="1002"' not in html
    assert count_rows(InboxEnvelope) == 0 and count_rows(PaperImport) == 0
