"""The designer's flows: start, edit, move, delete, scale, import/export, publish."""
import io
import re

import pytest
import questionnaires
from markupsafe import escape

KINDS = questionnaires.KINDS


@pytest.mark.parametrize("kind", KINDS)
def test_every_template_starts_and_previews(app, staff, start_draft, definition, kind):
    vid = start_draft(code=f"t-{kind}", kind=kind)
    stored = definition(vid)
    expected = questionnaires.to_dict(questionnaires.template(kind))
    assert stored == {**expected, "code": f"t-{kind}"}
    page = staff.get(f"/designer/versions/{vid}")
    assert page.status_code == 200
    assert f'src="/designer/versions/{vid}/preview"' in page.get_data(as_text=True)
    for lang in ("zh", "en"):
        preview = staff.get(f"/designer/versions/{vid}/preview?lang={lang}")
        assert preview.status_code == 200
        html = preview.get_data(as_text=True)
        q = questionnaires.template(kind)
        assert str(escape(q.title.get(lang))) in html
        for item in q.items():
            assert f'id="q-{"t.example." if item.per_target else "b."}{item.code}"' in html
        for option in q.scale.options:
            assert str(escape(option.label.get(lang))) in html
        assert "<script" not in html and "style=" not in html


def test_blank_and_copy_starts(app, staff, start_draft, definition):
    blank = start_draft(code="blank-1", source="blank")
    q = questionnaires.from_dict(definition(blank))
    assert [o.label.zh for o in q.scale.options] == ["满意", "基本满意", "不满意", "不了解"]
    assert len(q.dimensions) == 1 and len(q.rating_items()) == 1
    copy = start_draft(code="copy-1", source="copy", copy_of=blank)
    assert definition(copy) == {**definition(blank), "code": "copy-1"}


def test_start_refuses_bad_or_taken_codes(app, staff, draft, version_count):
    before = version_count()
    r = staff.post("/designer/start", data={"source": "template", "kind": "decision", "code": "q-new"})
    assert r.status_code == 400 and "exists already" in r.get_data(as_text=True)
    r = staff.post("/designer/start", data={"source": "blank", "code": "no spaces!"})
    assert r.status_code == 400 and "is not valid" in r.get_data(as_text=True)
    r = staff.post("/designer/start", data={"source": "copy", "code": "c2"})
    assert r.status_code == 400
    assert version_count() == before


def test_edit_header(app, staff, draft, definition):
    d = definition(draft)
    r = staff.post(f"/designer/versions/{draft}/header", data={
        "code": "renamed", "kind": "work_style", "title_zh": "新标题", "title_en": "New title",
        "intro_zh": "说明", "intro_en": "Intro", "closing_zh": "谢谢", "closing_en": "Thanks"})
    assert r.status_code == 302
    new = definition(draft)
    assert (new["code"], new["kind"], new["title"], new["closing"]["en"]) == \
        ("renamed", "work_style", {"zh": "新标题", "en": "New title"}, "Thanks")
    assert new["sections"] == d["sections"]
    assert "新标题" in staff.get(f"/designer/versions/{draft}/preview?lang=zh").get_data(as_text=True)


def item_data(**changes):
    data = {"code": "q99", "type": "rating", "text_zh": "新题", "text_en": "New question", "dimension": "law",
            "weight": "1", "required": "y", "per_target": "y", "groups": "", "max_length": ""}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def codes(d):
    return [[i["code"] for i in s["items"]] for s in d["sections"]]


def test_add_edit_move_delete_item(app, staff, draft, definition):
    r = staff.post(f"/designer/versions/{draft}/sections/appraisal/items/new", data=item_data())
    assert r.status_code == 302, r.get_data(as_text=True)
    assert codes(definition(draft))[1][-1] == "q99"
    # edit: change the text and weight
    r = staff.post(f"/designer/versions/{draft}/items/q99", data=item_data(text_en="Changed", weight="2"))
    assert r.status_code == 302
    item = [i for i in definition(draft)["sections"][1]["items"] if i["code"] == "q99"][0]
    assert item["text"]["en"] == "Changed" and item["weight"] == 2
    # move up within the section, then across into the next section at its end
    assert staff.post(f"/designer/versions/{draft}/structure",
                      data={"what": "item", "code": "q99", "action": "up"}).status_code == 302
    assert codes(definition(draft))[1][-2:] == ["q99", "q13"]
    for _ in range(2):
        staff.post(f"/designer/versions/{draft}/structure", data={"what": "item", "code": "q99", "action": "down"})
    assert codes(definition(draft))[2] == ["q99", "q14"]
    # delete
    assert staff.post(f"/designer/versions/{draft}/structure",
                      data={"what": "item", "code": "q99", "action": "delete"}).status_code == 302
    assert "q99" not in sum(codes(definition(draft)), [])


def test_choice_options_add_move_delete(app, staff, draft, definition):
    d = definition(draft)
    options = d["sections"][0]["items"][0]["options"]
    data = item_data(code="q01", type="single", text_zh="方式", text_en="How", dimension=None, weight=None,
                     per_target=None)
    for i, o in enumerate(options):
        data.update({f"ch-{i}-code": o["code"], f"ch-{i}-label_zh": o["label"]["zh"],
                     f"ch-{i}-label_en": o["label"]["en"]})
    n = len(options)
    data.update({f"ch-{n}-code": "other", f"ch-{n}-label_zh": "其他", f"ch-{n}-label_en": "Other"})
    assert staff.post(f"/designer/versions/{draft}/items/q01", data=data).status_code == 302
    saved = definition(draft)["sections"][0]["items"][0]["options"]
    assert [o["code"] for o in saved] == [o["code"] for o in options] + ["other"]
    # delete the first option and move the new one up in one go
    data["ch-0-remove"] = "y"
    data["row_action"] = f"up:ch:{n}"
    assert staff.post(f"/designer/versions/{draft}/items/q01", data=data).status_code == 302
    saved = [o["code"] for o in definition(draft)["sections"][0]["items"][0]["options"]]
    assert saved == [o["code"] for o in options[1:-1]] + ["other", options[-1]["code"]]


def scale_data(d, **rows):
    data = {}
    for i, o in enumerate(d["scale"]["options"]):
        data.update({f"opt-{i}-code": o["code"], f"opt-{i}-label_zh": o["label"]["zh"],
                     f"opt-{i}-label_en": o["label"]["en"],
                     f"opt-{i}-points": "" if o["points"] is None else str(o["points"]),
                     f"opt-{i}-cls": "satisfied" if o["code"] in d["scale"]["satisfied"] else
                     "dissatisfied" if o["code"] in d["scale"]["dissatisfied"] else ""})
    data.update(rows)
    return data


def test_edit_scale(app, staff, draft, definition):
    d = definition(draft)
    data = scale_data(d, **{"opt-2-points": "30", "opt-4-code": "E", "opt-4-label_zh": "很不满意",
                            "opt-4-label_en": "Very dissatisfied", "opt-4-points": "0", "opt-4-cls": "dissatisfied",
                            "row_action": "up:opt:4"})
    r = staff.post(f"/designer/versions/{draft}/scale", data=data)
    assert r.status_code == 302, r.get_data(as_text=True)
    scale = definition(draft)["scale"]
    assert [(o["code"], o["points"]) for o in scale["options"]] == [("A", 100), ("B", 70), ("C", 30), ("E", 0),
                                                                    ("DK", None)]
    assert scale["dissatisfied"] == ["C", "E"]
    html = staff.get(f"/designer/versions/{draft}/preview?lang=en").get_data(as_text=True)
    assert "Very dissatisfied" in html


def test_edit_dimensions_and_sections(app, staff, draft, definition):
    d = definition(draft)
    data = {}
    for i, x in enumerate(d["dimensions"]):
        data.update({f"dim-{i}-code": x["code"], f"dim-{i}-name_zh": x["name"]["zh"],
                     f"dim-{i}-name_en": x["name"]["en"], f"dim-{i}-weight": "%g" % x["weight"]})
    data["dim-0-weight"] = "2"
    assert staff.post(f"/designer/versions/{draft}/dimensions", data=data).status_code == 302
    assert definition(draft)["dimensions"][0]["weight"] == 2
    r = staff.post(f"/designer/versions/{draft}/sections/new", data={
        "code": "extra", "title_zh": "附加", "title_en": "Extra", **{f"item-{k}": v for k, v in item_data(
            code="q50", type="text", dimension=None, weight=None, required=None, max_length="300").items()}})
    assert r.status_code == 302, r.get_data(as_text=True)
    new = definition(draft)["sections"][-1]
    assert new["code"] == "extra" and new["items"][0]["code"] == "q50" and new["items"][0]["max_length"] == 300
    assert staff.post(f"/designer/versions/{draft}/sections/extra",
                      data={"code": "extra2", "title_zh": "附加二", "title_en": "Extra 2"}).status_code == 302
    assert staff.post(f"/designer/versions/{draft}/structure",
                      data={"what": "section", "code": "extra2", "action": "up"}).status_code == 302
    assert [s["code"] for s in definition(draft)["sections"]] == ["contact", "appraisal", "extra2", "comments"]
    assert staff.post(f"/designer/versions/{draft}/structure",
                      data={"what": "section", "code": "extra2", "action": "delete"}).status_code == 302
    assert [s["code"] for s in definition(draft)["sections"]] == ["contact", "appraisal", "comments"]


def test_import_export_round_trip(app, staff, draft, definition, version_count):
    text = staff.get(f"/designer/questionnaires/versions/{draft}.yaml").get_data(as_text=True)
    assert questionnaires.to_dict(questionnaires.loads(text)) == definition(draft)
    changed = text.replace("Sector-style appraisal questionnaire", "Imported title")
    r = staff.post("/designer/import", data={"file": (io.BytesIO(changed.encode()), "q.yaml")},
                   content_type="multipart/form-data")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/designer/versions/{draft}")
    assert definition(draft)["title"]["en"] == "Imported title"
    assert version_count() == 1


def test_import_names_line_and_problem(app, staff, draft, definition, version_count):
    bad = questionnaires.dump(questionnaires.template("sector_style")).replace("dimension: fees", "dimension: feez", 1)
    r = staff.post("/designer/import", data={"file": (io.BytesIO(bad.encode()), "q.yaml")},
                   content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and re.search(r"line \d+: Question q04 names the dimension feez", html)
    assert version_count() == 1


def test_publish_then_edit_makes_a_new_draft(app, staff, draft, definition, version_count):
    assert staff.post(f"/designer/versions/{draft}/publish").status_code == 302
    from survey_app.models import QuestionnaireVersion
    from survey_app.extensions import db
    with app.app_context():
        assert db.session.get(QuestionnaireVersion, draft).frozen
    frozen = definition(draft)
    r = staff.post(f"/designer/versions/{draft}/items/q02", data=item_data(code="q02", text_en="Edited"))
    assert r.status_code == 302
    v2 = int(r.headers["Location"].split("#")[0].rsplit("/", 1)[1])
    assert v2 != draft and version_count() == 2
    assert definition(draft) == frozen
    assert definition(v2)["sections"][1]["items"][0]["text"]["en"] == "Edited"
    # the code is fixed once published
    page = staff.get(f"/designer/versions/{v2}/header").get_data(as_text=True)
    assert "readonly" in page
    # an old published version cannot be edited once a newer one exists
    r = staff.post(f"/designer/versions/{draft}/items/q02", data=item_data(code="q02", text_en="Again"))
    assert r.status_code == 400 and "is newer" in r.get_data(as_text=True)
    assert version_count() == 2


def test_pages_render_in_both_languages(app, staff, draft):
    for lang in ("zh_CN", "en"):
        staff.get(f"/language/{lang}")
        for path in ("/designer/", f"/designer/versions/{draft}", f"/designer/versions/{draft}/header",
                     f"/designer/versions/{draft}/scale", f"/designer/versions/{draft}/dimensions",
                     f"/designer/versions/{draft}/sections/new", f"/designer/versions/{draft}/sections/contact",
                     f"/designer/versions/{draft}/sections/appraisal/items/new",
                     f"/designer/versions/{draft}/items/q01", f"/designer/versions/{draft}/items/q14"):
            r = staff.get(path)
            assert r.status_code == 200, path
            assert "style=" not in r.get_data(as_text=True)


def test_auditor_reads_but_cannot_change(app, login, draft, definition):
    before = definition(draft)
    auditor = login("auditor")
    assert auditor.get(f"/designer/versions/{draft}").status_code == 200
    assert auditor.post(f"/designer/versions/{draft}/structure",
                        data={"what": "item", "code": "q02", "action": "delete"}).status_code == 403
    assert definition(draft) == before


def test_unknown_things_are_404(app, staff, draft):
    assert staff.get("/designer/versions/999").status_code == 404
    assert staff.get(f"/designer/versions/{draft}/items/nope").status_code == 404
    assert staff.post(f"/designer/versions/{draft}/structure",
                      data={"what": "item", "code": "nope", "action": "up"}).status_code == 404
    assert staff.post(f"/designer/versions/{draft}/structure",
                      data={"what": "item", "code": "q02", "action": "sideways"}).status_code == 400
