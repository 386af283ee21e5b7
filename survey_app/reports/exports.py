"""Results of a campaign as a spreadsheet (XLSX, formatted to print) and as CSV."""
import csv
import io

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins

from ..labels import adjustment_note, label, published_alert, published_grade
from ..models import Campaign


def table(campaign: Campaign, data: dict, locale: str) -> tuple[list[str], list[list], list[str]]:
    """Header, rows and a number format per column; a suppressed group's cells stay empty."""
    names = {t.code: t.name(locale) for t in campaign.targets}
    header = [_("Rank"), _("Code"), _("Target"), _("Score"), _("95% CI low"), _("95% CI high"), _("Grade"), _("Alert"),
              _("Satisfied"), _("Dissatisfied"), _("Reweighted"), _("Best plausible rank"),
              _("Worst plausible rank")]
    formats = ["0", "@", "@", "0.00", "0.00", "0.00", "@", "@", "0.0%", "0.0%", "@", "0", "0"]
    for group in campaign.groups:
        header += [_("%(group)s score", group=group.name(locale)), _("%(group)s n", group=group.name(locale))]
        formats += ["0.00", "0"]
    # Rules G, R and F of the method, after the groups so that earlier columns keep their places.
    header += [_("Grade as published"), _("Grade certain"), _("Alert as published"), _("Alert certain"),
               _("Dissatisfied 95% CI low"), _("Dissatisfied 95% CI high"), _("Adjustment for a missing group"),
               _("Note on the rank"), _("Funnel")]
    formats += ["@", "@", "@", "@", "0.0%", "0.0%", "+0.00;-0.00;0.00", "@", "@"]
    rows = []
    for entry in data["targets"]:
        ci = entry.get("ci95") or [None, None]
        band = entry.get("rank_ci95") or [None, None]
        row = [entry.get("rank"), entry["target"], names.get(entry["target"], entry["target"]), entry.get("score"),
               ci[0], ci[1], label("grade", entry.get("grade"), ""), label("alert", entry.get("alert"), ""),
               entry.get("satisfaction"),
               entry.get("dissatisfaction"), _("yes") if entry.get("reweighted") else "", band[0], band[1]]
        dis_ci = entry.get("dissatisfaction_ci95") or [None, None]
        status = lambda key: "" if entry.get(key) is None else (_("yes") if entry[key] == "certain" else _("no"))
        doubt = [published_grade(entry), status("grade_status"), published_alert(entry), status("alert_status"),
                 dis_ci[0], dis_ci[1], entry.get("adjustment"), adjustment_note(entry),
                 label("funnel", entry.get("funnel"), "")]
        for group in campaign.groups:
            cell = entry.get("groups", {}).get(group.code)
            if not cell or cell.get("suppressed"):
                row += [None, _("fewer than %(n)d", n=campaign.min_group_size) if cell else None]
            else:
                row += [cell.get("score"), cell.get("n")]
        rows.append(row + doubt)
    return header, rows, formats


def to_csv(campaign: Campaign, data: dict, locale: str) -> bytes:
    header, rows, _formats = table(campaign, data, locale)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else (round(v, 4) if isinstance(v, float) else v) for v in row])
    # A byte-order mark lets spreadsheet programs read the Chinese names as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(campaign: Campaign, data: dict, locale: str) -> bytes:
    header, rows, formats = table(campaign, data, locale)
    wb = Workbook()
    ws = wb.active
    ws.title = _("Results")[:31]
    font = "Noto Sans CJK SC"
    ws.append([campaign.title(locale)])
    ws["A1"].font = Font(name=font, bold=True, size=14)
    ws.append([_("Ballots counted: %(n)d · minimum group size %(m)d", n=data["ballots"], m=campaign.min_group_size)])
    ws["A2"].font = Font(name=font, size=9, color="5F6670")
    ws.append(header)
    thin = Side(style="thin", color="D9DDE3")
    fill = PatternFill("solid", fgColor="B3261E")
    for cell in ws[3]:
        cell.font = Font(name=font, bold=True, color="FFFFFF")
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(bottom=thin)
    ws.row_dimensions[3].height = 32
    for row in rows:
        ws.append(row)
    for r in range(4, 4 + len(rows)):
        for c, number_format in enumerate(formats, start=1):
            cell = ws.cell(row=r, column=c)
            cell.number_format = number_format
            cell.font = Font(name=font, size=10)
            cell.border = Border(bottom=thin)
            if number_format != "@":
                cell.alignment = Alignment(horizontal="right")
    widths = [6, 8, 34, 8, 8, 8, 8, 10, 9, 9, 8] + [12, 8] * len(campaign.groups)
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = "D4"
    ws.auto_filter.ref = f"A3:{get_column_letter(len(header))}{3 + len(rows)}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "3:3"
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.oddFooter.center.text = "&P / &N"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
