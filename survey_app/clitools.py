"""What every command-line module shares: failing with status 2, finding a campaign, prompting, writing output."""
import contextlib
import sys

import click
from sqlalchemy import select

from .extensions import db
from .models import Campaign


def fail(message: str) -> None:
    """Say what is wrong and exit with status 2, the status of bad input."""
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def campaign_by_code(code: str):
    """The campaign with this code, or exit 2 saying there is none."""
    campaign = db.session.execute(select(Campaign).where(Campaign.code == code)).scalar_one_or_none()
    if campaign is None:
        fail(f"no campaign with code {code!r}")
    return campaign


def prompt_passphrase(label: str, confirm: bool = True) -> str:
    """A passphrase typed without echo; typed twice when `confirm`, else empty is allowed (to skip)."""
    if confirm:
        return click.prompt(label, hide_input=True, confirmation_prompt=True)
    return click.prompt(label, hide_input=True, default="", show_default=False)


@contextlib.contextmanager
def output(path: str | None):
    """The text file at `path` (closed afterwards), or standard output when there is no path."""
    if not path:
        yield sys.stdout
        return
    with open(path, "w", newline="", encoding="utf-8") as handle:
        yield handle
