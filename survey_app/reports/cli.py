"""`flask --app wsgi report CAMPAIGN --out DIR`: every feedback report of a campaign as PDF."""
import sys
import time
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..extensions import db


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
    from ..models import Campaign
    from ..results import results
    from .pdf import render_campaign
    campaign = db.session.execute(select(Campaign).where(Campaign.code == campaign_code)).scalar_one_or_none()
    if campaign is None:
        click.echo(f"error: no campaign with code {campaign_code!r}", err=True)
        sys.exit(2)
    if results(campaign) is None:
        click.echo(f"error: campaign {campaign_code!r} is not counted yet: there is nothing to report", err=True)
        sys.exit(2)
    started = time.perf_counter()
    written = render_campaign(campaign, list(langs) or ["zh_CN"], Path(out_dir), workers=workers)
    click.echo(f"{len(written)} reports written to {out_dir} in {time.perf_counter() - started:.1f} s")


def init_app(app) -> None:
    app.cli.add_command(report_command)
