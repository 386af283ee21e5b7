"""What a printed sheet looks like, read back from its PDF with pdfplumber: on the matrix sheet
every box of every item lies inside its own column's cell (scales of 2 to 7 options, the longest
names a target can have) and no column runs past the page; block sheets take as few pages as
fit; a print run is the sheet laid out once with each copy's number and QR code stamped on."""
import dataclasses
import io
import re

import pdfplumber
import pytest
import questionnaires
from pypdf import PdfReader

from survey_app.extensions import db

MM = 72 / 25.4
LONGEST = 200  # the most a target's name holds (models.Target.name_zh / name_en)


def scale_of(n: int) -> questionnaires.Scale:
    """A scale of n options: n-1 with points and "don't know" (n = 2: two with points)."""
    S = questionnaires.ScaleOption
    T = questionnaires.Text
    pointed = n if n == 2 else n - 1
    options = [S(code="ABCDEFG"[i], label=T(zh=f"第{i + 1}档", en=f"Level {i + 1}"),
                 points=100 - i * (100 // pointed)) for i in range(pointed)]
    if n > 2:
        options.append(S(code="DK", label=T(zh="不了解", en="Don't know"), points=None))
    return questionnaires.Scale(options=tuple(options), satisfied=("A",), dissatisfied=(options[pointed - 1].code,))


@pytest.fixture
def sheet_of(app):
    """sheet_of(n_options, n_targets, matrix, count=1) -> (PDF bytes, number of items per target, labels)."""
    from survey_app.admin import operations
    from survey_app.designer.operations import save_questionnaire
    from survey_app.models import Target
    from survey_app.paper import sheets

    made = iter(range(1000))

    def make(n_options=4, n_targets=4, matrix=True, count=1, kind="sector_style", longest_names=True):
        base = questionnaires.template(kind)
        q = dataclasses.replace(base, code=f"{kind}-{n_options}", scale=scale_of(n_options))
        with app.app_context(), app.test_request_context():
            version = save_questionnaire(q, publish=True)
            campaign = operations.create_campaign(code=f"geo{next(made)}", kind=kind,
                                                  title_zh="几何", title_en="Geometry", version=version,
                                                  hotline="12388")
            operations.add_group(campaign, code="hall", name_zh="代表", name_en="Deputies", weight=1.0)
            targets = [Target(code=f"{campaign.code}-{i}", kind="leader",
                              name_zh=("长" * (LONGEST - 3) + f"{i:03d}") if longest_names else f"江川市第{i}局",
                              name_en=("W" * (LONGEST - 3) + f"{i:03d}") if longest_names else f"Bureau {i}",
                              post_zh="" if longest_names else "局长")
                       for i in range(n_targets)]
            db.session.add_all(targets)
            db.session.flush()
            operations.set_targets(campaign, targets)
            group = campaign.group("hall")
            lay = sheets.layout(campaign, group)
            items = len([r for r in lay.rows if r.target][0].items)
            batch = sheets.print_batch(campaign, group, count, "staff")
            pdf = sheets.batch_pdf(batch, "staff", matrix=matrix)
            labels = [sheets.sheet_label(n) for n in range(batch.first_number, batch.first_number + count)]
        return pdf, items, labels
    return make


def boxes_and_columns(page):
    """The tick boxes of the page (squares, outer edge) and its table's vertical rules."""
    squares = {}
    for r in page.rects:
        w, h = r["x1"] - r["x0"], r["bottom"] - r["top"]
        if abs(w - h) < 0.3 and 2.5 * MM <= w <= 4.5 * MM:
            key = (round((r["x0"] + r["x1"]) / 2, 1), round((r["top"] + r["bottom"]) / 2, 1))
            if key not in squares or w > squares[key]["x1"] - squares[key]["x0"]:
                squares[key] = r  # a border is drawn as a frame: keep its outer square
    rules = [ln for ln in page.lines if abs(ln["x1"] - ln["x0"]) < 0.01 and ln["bottom"] - ln["top"] > 2]
    # the boxes of the matrix: those in the rows of a table with column rules (the general
    # questions above it have none)
    in_table = [b for b in squares.values()
                if any(r["top"] <= (b["top"] + b["bottom"]) / 2 <= r["bottom"] for r in rules)]
    return in_table, rules


@pytest.mark.parametrize("n_options", [2, 3, 4, 5, 6, 7])
def test_every_box_of_the_matrix_lies_inside_its_own_column(sheet_of, n_options, backend):
    if backend != "sqlite":
        pytest.skip("the sheet does not depend on the database")
    pdf, n_items, _ = sheet_of(n_options=n_options, n_targets=3)
    cells: dict = {}
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            right_edge = page.width - 10 * MM  # the page's margin
            boxes, rules = boxes_and_columns(page)
            for box in boxes:
                middle = (box["top"] + box["bottom"]) / 2
                xs = sorted({round(r["x0"], 2): r for r in rules if r["top"] <= middle <= r["bottom"]}.items())
                left = [(x, r) for x, r in xs if x <= (box["x0"] + box["x1"]) / 2]
                right = [(x, r) for x, r in xs if x > (box["x0"] + box["x1"]) / 2]
                assert left and right, f"box at {box['x0']:.1f},{box['top']:.1f} is outside the table"
                (lx, lrule), (rx, rrule) = left[-1], right[0]
                # inside the cell: clear of both rules, each drawn centred on its x with its own width
                assert box["x0"] >= lx + lrule["linewidth"] / 2 - 0.01, (n_options, box["x0"], lx)
                assert box["x1"] <= rx - rrule["linewidth"] / 2 + 0.01, (n_options, box["x1"], rx)
                assert rx <= right_edge + 0.5  # the last column ends on the page
                cells.setdefault((page.page_number, round(middle), lx), []).append(box)
            # the letters sit in their boxes
            letters = [c for c in page.chars if c["text"] in "ABCDEFG" and c["size"] < 9 and
                       any(b["x0"] <= c["x0"] and c["x1"] <= b["x1"] + 0.5 and b["top"] - 1 <= c["top"]
                           and c["bottom"] <= b["bottom"] + 1 for b in boxes)]
            assert len(letters) >= len(boxes) * 0.95
    # every cell holds the whole scale, and every item of every target has its cell
    assert cells and {len(b) for b in cells.values()} == {n_options}
    assert len(cells) == n_items * 3


def test_the_longest_names_wrap_inside_their_column(sheet_of, backend):
    if backend != "sqlite":
        pytest.skip("the sheet does not depend on the database")
    pdf, _, _ = sheet_of(n_options=5, n_targets=2)
    printed = 0
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            _, rules = boxes_and_columns(page)
            name_chars = [c for c in page.chars if c["text"] in ("长", "W")
                          and any(r["top"] <= (c["top"] + c["bottom"]) / 2 <= r["bottom"] for r in rules)]
            printed += len(name_chars)
            if not name_chars:
                continue
            xs = sorted({round(r["x0"], 1) for r in rules})
            name_left, name_right = xs[1], xs[2]  # "#", then the name column
            assert all(name_left < c["x0"] and c["x1"] < name_right for c in name_chars)
    assert printed >= 2 * (LONGEST - 3) * 2  # each name whole, in both languages, not cut


@pytest.mark.parametrize("n_targets, most_pages", [(3, 2), (20, 7)])
def test_block_sheets_take_as_few_pages_as_fit(sheet_of, n_targets, most_pages, backend):
    """Two items to a line, the English of the items once at the top: 20 targets of 12 items
    took 20 pages a sheet before."""
    if backend != "sqlite":
        pytest.skip("the sheet does not depend on the database")
    pdf, _, _ = sheet_of(n_options=4, n_targets=n_targets, matrix=False, count=2, longest_names=False)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) % 2 == 0 and len(reader.pages) // 2 <= most_pages


@pytest.mark.parametrize("matrix", [False, True])
def test_each_copy_carries_its_own_number_and_qr_code_on_every_page(sheet_of, matrix, backend):
    if backend != "sqlite":
        pytest.skip("the sheet does not depend on the database")
    pdf, _, labels = sheet_of(n_options=5, n_targets=8, matrix=matrix, count=3)
    reader = PdfReader(io.BytesIO(pdf))
    per_sheet = len(reader.pages) // 3
    assert per_sheet * 3 == len(reader.pages)
    for i, label in enumerate(labels):
        pages = reader.pages[i * per_sheet:(i + 1) * per_sheet]
        for page in pages:
            assert f"No. {label}" in page.extract_text()  # the running number on every page
        others = [other for other in labels if other != label]
        assert not any(other in "".join(p.extract_text() for p in pages) for other in others)
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        # the QR code: dark squares in the top right corner of each sheet's first page only
        for i in range(3):
            first = doc.pages[i * per_sheet]
            corner = [r for r in first.rects if r["x0"] > first.width - 40 * MM and r["top"] < 45 * MM
                      and r["fill"] and r["height"] < 1.5 * MM]
            assert len(corner) > 40
        if per_sheet > 1:
            second = doc.pages[1]
            assert not [r for r in second.rects if r["x0"] > second.width - 40 * MM and r["top"] < 45 * MM
                        and r["fill"] and r["height"] < 1.5 * MM]
    # the shared layout is in the file once: three sheets cost little more than one
    assert len(pdf) < 1.5 * len(sheet_of(n_options=5, n_targets=8, matrix=matrix, count=1)[0])


def test_the_sheet_numbers_read_back_from_the_qr_text(app, sheet_of, backend):
    """The label stamped is the one `parse_sheet_number` takes back (check digit and all)."""
    if backend != "sqlite":
        pytest.skip("the sheet does not depend on the database")
    from survey_app.paper import sheets
    pdf, _, labels = sheet_of(n_options=3, n_targets=2, matrix=True, count=2, longest_names=False)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert re.findall(r"No\. (\d{5}-\d)", text) == labels
    assert [sheets.sheet_label(int(label[:5])) for label in labels] == labels


def test_the_command_line_prints_a_run_with_a_progress_bar(app, runner, make_campaign, tmp_path, backend):
    if backend != "sqlite":
        pytest.skip("the sheet does not depend on the database")
    make_campaign(code="cli", groups=[("hall", 1.0, "code")], n_targets=2)
    out = tmp_path / "run.pdf"
    result = runner.invoke(args=["paper", "print", "cli", "hall", "4", "--out", str(out), "--matrix"])
    assert result.exit_code == 0, result.output
    assert "00004-" in result.output and "numbering the copies" in result.output
    reader = PdfReader(str(out))
    assert len(reader.pages) == 4 and float(reader.pages[0].mediabox.width) > float(reader.pages[0].mediabox.height)
