"""The feedback report page and PDF: figures, suppression, comments, languages, who may read it."""
import io

import pytest
from pypdf import PdfReader

from survey_app.extensions import db


def test_staff_reads_a_counted_report_with_suppressed_group_hidden(app, login, counted_campaign, ids):
    client = login("staff")
    t1 = ids(counted_campaign)[0]
    client.set_cookie("lang", "en")
    page = client.get(f"/reports/{counted_campaign}/targets/{t1}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Unit 1" in html and "Composite score" in html
    assert "fewer than 3 responses" in html  # the staff group (2 ballots)
    assert "public comment 0" in html  # published, public group shown
    assert "public comment 1" not in html  # still pending
    assert "staff secret comment" not in html  # its group is suppressed for this target
    assert "not yet published" in html
    assert '<figure class="chart" role="img"' in html and "<svg " in html
    assert "data:image/png" not in html  # vector charts, no inline bitmaps


def test_report_in_chinese_by_default(app, login, counted_campaign, ids):
    app.config["DEFAULT_LANGUAGE"] = "zh_CN"  # the tests' app speaks English unless told
    client = login("staff")
    html = client.get(f"/reports/{counted_campaign}/targets/{ids(counted_campaign)[0]}").get_data(as_text=True)
    assert "单位1" in html and 'lang="zh-CN"' in html and "综合得分" in html


def test_distribution_leaves_out_suppressed_groups(app, counted_campaign):
    from survey_app.models import Campaign
    from survey_app.reports.operations import build_report
    with app.app_context():
        campaign = db.session.get(Campaign, counted_campaign)
        target = campaign.targets[1]
        report = build_report(campaign, target, "en", with_charts=False)
        assert [g.code for g in report.visible_groups] == ["public"]
        first = report.items[0]
        # Target 2, public: A B B A B DK A A -> 4 A, 3 B, 0 C, 1 DK; the staff's C answers are left out.
        assert first.counts == {"A": 4, "B": 3, "C": 0, "DK": 1}
        assert "staff" not in first.groups
        assert report.groups[1].suppressed and report.groups[1].figures == {}


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_pdf_is_a4_and_embeds_the_cjk_font(app, login, counted_campaign, ids, lang):
    client = login("admin")
    client.set_cookie("lang", lang)
    response = client.get(f"/reports/{counted_campaign}/targets/{ids(counted_campaign)[0]}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    box = reader.pages[0].mediabox
    assert round(float(box.width) / 72 * 25.4) == 210 and round(float(box.height) / 72 * 25.4) == 297
    fonts = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    from survey_app import printing
    prepared = printing.fonts_prepared()
    # the CJK font, or its cut to the reports' characters where this host prepared it (`prepare-fonts`)
    cjk = ("Report-Sans",) if prepared else ("Noto-Sans-CJK-SC", "NotoSansCJK")
    assert any(name in f for f in fonts for name in cjk), fonts
    text = "".join(page.extract_text() for page in reader.pages)
    assert ("单位1" if lang == "zh_CN" else "Unit 1") in text


def test_leader_reads_only_their_own_published_report(app, client, published_campaign, leader_login, ids):
    own, other, third = ids(published_campaign)
    client = leader_login(published_campaign, 0)
    assert client.get(f"/reports/{published_campaign}/targets/{own}").status_code == 200
    assert client.get(f"/reports/{published_campaign}/targets/{own}.pdf").status_code == 200
    for target in (other, third):
        for suffix in ("", ".pdf"):
            response = client.get(f"/reports/{published_campaign}/targets/{target}{suffix}")
            assert response.status_code in (403, 404)
            assert "Unit 2" not in response.get_data(as_text=True)
    index = client.get("/reports/").get_data(as_text=True)
    assert f"/reports/{published_campaign}/targets/{own}" in index
    assert f"/targets/{other}" not in index
    for url in (f"/reports/{published_campaign}/dashboard", f"/reports/{published_campaign}/results.xlsx",
                f"/reports/{published_campaign}/comments"):
        assert client.get(url).status_code == 403


def test_leader_sees_nothing_before_publication(app, client, counted_campaign, leader_login, ids):
    own = ids(counted_campaign)[0]
    client = leader_login(counted_campaign, 0)
    assert client.get(f"/reports/{counted_campaign}/targets/{own}").status_code in (403, 404)
    assert client.get(f"/reports/{counted_campaign}/targets/{own}.pdf").status_code in (403, 404)
    assert f"/targets/{own}" not in client.get("/reports/").get_data(as_text=True)


def test_unknown_ids_and_target_outside_the_campaign_are_404(app, login, counted_campaign, make_campaign, ids):
    other_campaign = make_campaign(code="other")
    foreign_target = ids(other_campaign)[0]
    client = login("staff")
    assert client.get(f"/reports/{counted_campaign}/targets/{foreign_target}").status_code == 404
    assert client.get(f"/reports/{counted_campaign}/targets/99999").status_code == 404
    assert client.get(f"/reports/99999/targets/{foreign_target}").status_code == 404
    # an open campaign has no results yet
    assert client.get(f"/reports/{other_campaign}/targets/{foreign_target}").status_code == 404


def test_scoped_staff_cannot_read_other_campaigns(app, client, counted_campaign, make_campaign, ids):
    from survey_app.auth.operations import create_user
    from survey_app.models import User, UserCampaign
    other = make_campaign(code="other")
    with app.app_context():
        user = create_user("scoped", "scoped-password-123", "staff")
        user = db.session.get(User, user.id) if hasattr(user, "id") else user
        db.session.add(UserCampaign(user_id=user.id, campaign_id=other))
        db.session.commit()
    assert client.post("/login", data={"username": "scoped", "password": "scoped-password-123"}).status_code == 302
    t1 = ids(counted_campaign)[0]
    assert client.get(f"/reports/{counted_campaign}/targets/{t1}").status_code == 403
    assert client.get(f"/reports/{counted_campaign}/dashboard").status_code == 403


def test_report_page_and_pdf_show_the_funnel_plot_and_the_grades_doubt(app, login, counted_campaign, ids):
    """Issue 30: a report (page and PDF) has the funnel plot beside the caterpillar chart, with how
    to read it, and says when its grade is not certain."""
    client = login("staff")
    client.set_cookie("lang", "en")
    target = ids(counted_campaign)[0]
    html = client.get(f"/reports/{counted_campaign}/targets/{target}").get_data(as_text=True)
    assert "Funnel plot: each dot is a target" in html and html.count('class="chart"') >= 3
    assert "of the funnel." in html
    response = client.get(f"/reports/{counted_campaign}/targets/{target}.pdf")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "Funnel plot" in " ".join(text.split())


def test_pdf_carries_its_charts_as_opaque_images_and_leaves_out_the_hidden_chart_figures(app, login, counted_campaign,
                                                                                         ids):
    """The charts reach WeasyPrint as RGB PNG from memory (`printing.inline_images`): each is one
    image in the PDF, with no soft mask split off an alpha channel; the charts' figures, hidden
    in print, are not in the PDF's HTML at all, but stay on the page."""
    from survey_app.models import Campaign, Target
    from survey_app.printing import inline_images
    from survey_app.reports.operations import build_report
    client = login("admin")
    target_id = ids(counted_campaign)[0]
    response = client.get(f"/reports/{counted_campaign}/targets/{target_id}.pdf")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.data))
    images = list({obj.idnum: obj.get_object() for page in reader.pages  # pages share their resources
                   for obj in (page["/Resources"].get("/XObject") or {}).values()
                   if obj.get_object()["/Subtype"] == "/Image"}.values())
    with app.test_request_context():
        campaign, target = db.session.get(Campaign, counted_campaign), db.session.get(Target, target_id)
        report = build_report(campaign, target, "en", for_print=True)
        from flask import render_template
        html = render_template("reports/report_pdf.html", r=report, locale="en", for_print=True)
    assert len(report.charts) >= 2 and len(images) == len(report.charts)
    assert all(image["/ColorSpace"] == "/DeviceRGB" and "/SMask" not in image for image in images)
    assert 'class="chart-data"' not in html
    short, kept = inline_images(html)
    assert len(kept) == len(report.charts) and "data:image/png" not in short
    assert all(f'src="{url}"' in short and png.startswith(b"\x89PNG") for url, png in kept.items())
    page = client.get(f"/reports/{counted_campaign}/targets/{target_id}").get_data(as_text=True)
    assert 'class="chart-data"' in page or not report.ranking


def test_inline_images_takes_only_the_pages_png_data_uris():
    """A data URI written as text (escaped, as user text is) stays text; only the src of an image moves."""
    import base64

    from survey_app.printing import html_to_pdf, inline_images
    from survey_app.reports import charts
    uri = charts.trend(["2025", "2026"], [70.0, 75.0], [65.0, 71.0], [75.0, 79.0], "Score", bitmap=True)
    html = (f'<p>src=&#34;{uri[:40]}&#34;</p><img src="{uri}" alt=""><img src="{uri}" alt="">')
    short, images = inline_images(html)
    assert short.startswith(f'<p>src=&#34;{uri[:40]}&#34;</p>') and len(images) == 2
    assert list(images.values())[0] == base64.b64decode(uri.split(",", 1)[1])
    pdf = html_to_pdf(short, "report_print.css", images=images)
    reader = PdfReader(io.BytesIO(pdf))
    found = [o for o in (reader.pages[0]["/Resources"].get("/XObject") or {}).values()
             if o.get_object()["/Subtype"] == "/Image"]
    assert len(found) >= 1


def test_an_opaque_png_goes_into_the_pdf_as_it_is_and_any_other_the_librarys_way():
    """printing._png_rows: a chart's compressed rows are put into the PDF unchanged (WeasyPrint would decode
    and encode them again), and read back to the same pixels; a PNG with an alpha channel keeps WeasyPrint's
    way (its mask split off)."""
    import base64

    from PIL import Image

    from survey_app.printing import _png_rows, html_to_pdf
    from survey_app.reports import charts
    chart = base64.b64decode(charts.trend(["2025", "2026"], [70.0, 75.0], [65.0, 71.0], [75.0, 79.0], "Score",
                                          bitmap=True).split(",", 1)[1])
    buffer = io.BytesIO()
    Image.new("RGBA", (40, 30), (200, 20, 20, 128)).save(buffer, format="PNG")
    translucent = buffer.getvalue()
    pdf = html_to_pdf('<img src="memory:a.png" alt=""><img src="memory:b.png" alt="">', "report_print.css",
                      images={"memory:a.png": chart, "memory:b.png": translucent})
    found = {int(obj.get_object()["/Width"]): obj.get_object()
             for obj in (PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/XObject"]).values()}
    opened = Image.open(io.BytesIO(chart))
    rows = _png_rows(Image.open(io.BytesIO(chart)))
    assert rows and found[opened.width]._data == rows
    assert found[opened.width].decode_as_image().convert("RGB").tobytes() == opened.convert("RGB").tobytes()
    assert _png_rows(Image.open(io.BytesIO(translucent))) is None and "/SMask" in found[40]
