"""`flask --app wsgi report CAMPAIGN --out DIR`: every feedback report of a campaign as PDF."""
import time
from pathlib import Path

import click
from flask.cli import with_appcontext

from .. import printing
from ..clitools import campaign_by_code, fail
from ..results.adapter import results
from .pdf import render_campaign


@click.command("report")
@with_appcontext
@click.argument("campaign_code")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Directory for the PDFs.")
@click.option("--lang", "langs", multiple=True, type=click.Choice(["zh_CN", "en"]),
              help="Language of the reports (repeat for both; default zh_CN).")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Processes rendering in parallel.")
def report_command(campaign_code, out_dir, langs, workers):
    """Render the feedback report PDF of every target of a counted campaign."""
    campaign = campaign_by_code(campaign_code)
    if results(campaign) is None:
        fail(f"campaign {campaign_code!r} is not counted yet: there is nothing to report")
    started = time.perf_counter()
    written = render_campaign(campaign, list(langs) or ["zh_CN"], Path(out_dir), workers=workers)
    click.echo(f"{len(written)} reports written to {out_dir} in {time.perf_counter() - started:.1f} s")


@click.command("prepare-fonts")
def prepare_fonts_command():
    """Cut the CJK font to the characters reports print, once per host (make run does it): every
    report PDF then subsets a font of about 8,100 glyphs instead of 65,535."""
    started = time.perf_counter()
    written = printing.prepare_fonts()
    if written:
        click.echo(f"report fonts prepared in {printing.FONT_CACHE} in {time.perf_counter() - started:.1f} s")
    elif printing.fonts_prepared():
        click.echo(f"report fonts already prepared in {printing.FONT_CACHE}")
    else:
        click.echo("Noto Sans CJK SC is not installed (make sysdeps): reports print with the fonts there are")


def init_app(app) -> None:
    app.cli.add_command(report_command)
    app.cli.add_command(prepare_fonts_command)
