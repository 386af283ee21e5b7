"""`flask --app wsgi paper ...`: import ballot files, print sheets, reconcile; the same operations as the web."""
import csv
import sys

import click
from flask.cli import AppGroup

from ..clitools import campaign_by_code as _campaign
from ..clitools import fail as _fail
from . import imports, reconcile, sheets
from .admission import PaperRefused

paper_cli = AppGroup("paper", help="Paper ballots: import, print, reconcile.")


@paper_cli.command("import")
@click.argument("campaign_code")
@click.argument("file", type=click.Path(dir_okay=False))
def paper_import(campaign_code, file):
    """Seal every ballot of an answers.csv FILE into the campaign's box, or nothing (exit 2)."""
    campaign = _campaign(campaign_code)
    try:
        with open(file, "rb") as fh:
            data = fh.read(imports.MAX_IMPORT_BYTES + 1)  # no more: the check needs only to see it is too large
    except OSError as error:
        _fail(f"{file}: {error.strerror}")
    try:
        per_group = imports.import_answers(campaign, data, file, "cli")
    except imports.ImportInvalid as invalid:
        for problem in invalid.problems:
            click.echo(f"{file}, row {problem.row}: {problem.reason}", err=True)
        click.echo("nothing was imported", err=True)
        sys.exit(2)
    summary = ", ".join(f"{code} {n}" for code, n in sorted(per_group.items()))
    click.echo(f"{sum(per_group.values())} ballots imported and sealed ({summary})")


@paper_cli.command("print")
@click.argument("campaign_code")
@click.argument("group_code")
@click.argument("count", type=click.IntRange(1, 500))
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="PDF file to write.")
@click.option("--matrix", is_flag=True, help="Every target on one landscape sheet (targets as rows).")
def paper_print(campaign_code, group_code, count, out, matrix):
    """Number COUNT new sheets for a group and write them as a PDF (with a progress bar)."""
    campaign = _campaign(campaign_code)
    group = campaign.group(group_code)
    if group is None:
        _fail(f"campaign {campaign_code!r} has no group {group_code!r}")
    try:
        batch = sheets.print_batch(campaign, group, count, "cli")
    except PaperRefused as refusal:
        _fail(str(refusal.message))
    click.echo("laying out the sheet…", err=True)
    with click.progressbar(length=count, label="numbering the copies", file=sys.stderr) as bar:
        pdf = sheets.batch_pdf(batch, "cli", matrix=matrix, progress=lambda done, total: bar.update(1))
    with open(out, "wb") as fh:
        fh.write(pdf)
    click.echo(f"sheets {sheets.sheet_label(batch.first_number)} to {sheets.sheet_label(batch.last_number)} "
               f"written to {out}")


@paper_cli.command("reconcile")
@click.argument("campaign_code")
def paper_reconcile(campaign_code):
    """Print the reconciliation figures per group as CSV."""
    campaign = _campaign(campaign_code)
    fields = ["printed", "returned", "not_returned", "entered_once", "entered_twice", "matched",
              "third_checked", "awaiting_check", "ballots", "blank", "invalid", "spoiled", "imported"]
    writer = csv.writer(sys.stdout)
    writer.writerow(["group", *fields])
    for row in reconcile.reconciliation(campaign):
        writer.writerow([row.group.code, *(getattr(row, f) for f in fields)])


def init_app(app) -> None:
    app.cli.add_command(paper_cli)
