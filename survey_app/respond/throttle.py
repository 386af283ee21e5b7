"""Rate limits of the respondent pages that spare a meeting hall on one Wi-Fi.

Two hundred deputies entering their codes from one address must never be refused, so code
entry counts only *failed* attempts (a well-formed code that is unknown, used or withdrawn): per
address, and over the whole site. An unknown code names no campaign, so the site-wide bucket
is the per-campaign one: it bounds guessing against every campaign at once. Public links
are held back first by the device (a signed cookie: `DEVICE_BALLOT_LIMIT` ballots a campaign),
which a hall does not share, and only then by a ceiling per address set above any hall.

A refusal is the app's own page in the visitor's language, with `Retry-After` and the time
in words, and keeps what was typed: the code stays in its field, the answers are sent again
by the page's button. The counters live in the limiter's storage (`RATELIMIT_STORAGE_URI`,
Redis with several gunicorn workers); nothing of them is stored with a ballot.
"""
import math
import time
from datetime import datetime, timedelta, timezone

from flask import current_app, g, make_response, render_template, request
from flask_babel import format_time
from werkzeug.datastructures import MultiDict


def site_key() -> str:
    """One bucket for every failed code on the site (an unknown code names no campaign)."""
    return "codes"


def note_failed_code() -> None:
    g.code_failed = True


def code_failed(_response) -> bool:
    """Flask-Limiter's `deduct_when`: count this request only if its code was refused."""
    return bool(g.get("code_failed"))


def public_ballot_submitted(response) -> bool:
    """Count a public-link request only when it stored a ballot (a redirect to the receipt)."""
    return bool(g.get("public_ballot"))


def retry_after(limit) -> int:
    """Seconds until the breached window `limit` (a flask_limiter RequestLimit) has room again."""
    return max(1, math.ceil(limit.window.reset_time - time.time()))


def _wait(seconds: int) -> dict:
    until = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    return {"seconds": seconds, "minutes": max(1, math.ceil(seconds / 60)), "until": format_time(until, "short")}


def _refusal(body: str, seconds: int):
    response = make_response(body, 429)
    response.headers["Retry-After"] = str(seconds)
    response.headers["Cache-Control"] = "no-store"
    return response


def code_entry_refused(limit):
    """The code page again, with the typed code in its field and when to try again."""
    from .forms import CodeForm
    seconds = retry_after(limit)
    form = CodeForm()  # bound to the posted form: the code stays as typed
    current_app.logger.info("code entry held back for %d s", seconds)
    return _refusal(render_template("respond/enter.html", form=form, wait=_wait(seconds)), seconds)


def public_ballot_refused(limit):
    """A page that keeps the answers (sent again by its button) and says when to try again."""
    seconds = retry_after(limit)
    fields = MultiDict(request.form)
    fields.pop("action", None)
    return _refusal(render_template("respond/throttled.html", fields=fields.items(multi=True),
                                    wait=_wait(seconds)), seconds)
