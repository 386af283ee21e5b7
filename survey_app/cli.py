"""Command-line tools: `flask --app wsgi <command>`; each calls the same operations as the web."""
import json
import sys

import click
import questionnaires
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from . import audit, backup, demo, moving
from .admin.operations import LifecycleError, close_campaign, codes_csv, count_campaign, open_campaign
from .auth.operations import AccountError, create_user
from .ballots import keys, mixing
from .ballots.operations import BallotLimit, issue_codes, revoke_unused
from .ballots.slips import slips_pdf
from .clitools import campaign_by_code, fail, output, prompt_passphrase
from .designer.operations import save_questionnaire
from .extensions import db
from .models import Campaign, Target
from .paper import cli as paper_cli
from .meetings import cli as meetings_cli
from .meetings import minutes
from .results import adapter, signatures


questionnaire_cli = AppGroup("questionnaire", help="Validate and import questionnaires.")


def _load_questionnaire(file: str) -> questionnaires.Questionnaire:
    """The questionnaire in FILE, or exit 2 naming the file, the line and each problem."""
    try:
        return questionnaires.load(file)
    except OSError as error:
        fail(f"{file}: {error.strerror}")
    except questionnaires.QuestionnaireInvalid as invalid:
        for problem in invalid.problems:
            click.echo(f"{file}: {problem.message}", err=True)
        sys.exit(2)


@questionnaire_cli.command("validate")
@click.argument("file", type=click.Path(dir_okay=False))
def questionnaire_validate(file):
    """Check a questionnaire YAML file; exit status 2 names every problem."""
    q = _load_questionnaire(file)
    click.echo(f"{file}: valid ({q.kind}, {len(q.items())} items)")


@questionnaire_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--publish", is_flag=True, help="Freeze the version at once.")
def questionnaire_import(file, publish):
    """Store a questionnaire as a new version."""
    q = _load_questionnaire(file)
    version = save_questionnaire(q, publish=publish)
    click.echo(f"{q.code} saved as version {version.number} ({version.status})")


codes_cli = AppGroup("codes", help="Issue and revoke access codes.")


@codes_cli.command("issue")
@click.argument("campaign_code")
@click.argument("group_code")
@click.argument("count", type=click.IntRange(1, 100_000))
@click.option("--out", type=click.Path(dir_okay=False), help="CSV file to write (default: standard output).")
@click.option("--slips", type=click.Path(dir_okay=False), help="Also print the codes on slips into this PDF file.")
def codes_issue(campaign_code, group_code, count, out, slips):
    """Issue COUNT new codes for a group; the plain codes exist only in this output.

    The codes are stored only once the CSV (and the slips) are written: a failure leaves
    nothing issued."""
    campaign = campaign_by_code(campaign_code)
    group = campaign.group(group_code)
    if group is None or group.access != "code":
        fail(f"campaign {campaign_code!r} has no access-code group {group_code!r}")
    if campaign.status not in ("draft", "open"):
        fail(f"campaign {campaign_code!r} is {campaign.status}: codes can no longer be issued")

    def deliver(plain):
        if slips:
            pdf = slips_pdf(campaign, group, plain, current_app.config["PUBLIC_BASE_URL"])
            with open(slips, "wb") as handle:
                handle.write(pdf)
        with output(out) as handle:
            handle.write(codes_csv(campaign, group, plain))
    try:
        issue_codes(campaign, group, count, deliver=deliver)
    except BallotLimit as limit:
        fail(f"a decision meeting has one code per member: {limit.left} more codes at most")
    if out:
        click.echo(f"{count} codes written to {out}", err=True)
    if slips:
        click.echo(f"{count} slips printed to {slips}", err=True)


@codes_cli.command("revoke")
@click.argument("campaign_code")
@click.argument("group_code")
def codes_revoke(campaign_code, group_code):
    """Withdraw every unused code of a group."""
    campaign = campaign_by_code(campaign_code)
    group = campaign.group(group_code)
    if group is None:
        fail(f"campaign {campaign_code!r} has no group {group_code!r}")
    click.echo(f"{revoke_unused(campaign, group)} codes withdrawn")


campaign_cli = AppGroup("campaign", help="Open, close and count campaigns.")


def _officer_option(value: str) -> tuple[str, str | None]:
    """NAME=PASS -> (NAME, PASS); NAME alone -> (NAME, None): the passphrase is prompted."""
    name, sep, passphrase = value.partition("=")
    return name.strip(), (passphrase if sep else None)


@campaign_cli.command("open")
@click.argument("campaign_code")
@click.option("--officer", "officers", multiple=True, metavar="NAME[=PASS]",
              help="A counting officer, repeated for each; the passphrase is prompted when not given.")
@click.option("--threshold", type=int, default=None,
              help="How many officers are needed to count (default 2 with 3 or more officers, else all).")
@click.option("--passphrase", default=None, help="One passphrase: a panel of one officer (1 of 1).")
def campaign_open(campaign_code, officers, threshold, passphrase):
    """Open a campaign and seal its ballot box for its counting officers (k of n)."""
    campaign = campaign_by_code(campaign_code)
    if officers and passphrase is not None:
        fail("give either --officer (repeated) or --passphrase, not both")
    if officers:
        panel = []
        for value in officers:
            name, secret = _officer_option(value)
            if secret is None:
                secret = prompt_passphrase(f"Passphrase of {name}")
            panel.append(keys.Officer(name, secret))
        k = threshold if threshold is not None else (2 if len(panel) >= 3 else len(panel))
        label = f"{k} of {len(panel)} officers"
    else:
        if threshold not in (None, 1):
            fail("--threshold needs --officer for each counting officer")
        panel = passphrase if passphrase is not None else prompt_passphrase("Passphrase")
        k, label = 1, "1 of 1 officer"
    try:
        open_campaign(campaign, panel, k)
    except LifecycleError as error:
        fail(str(error))
    click.echo(f"{campaign_code} is open; its ballot box opens with {label}")


@campaign_cli.command("close")
@click.argument("campaign_code")
def campaign_close(campaign_code):
    campaign = campaign_by_code(campaign_code)
    try:
        close_campaign(campaign)
    except LifecycleError as error:
        fail(str(error))
    click.echo(f"{campaign_code} is closed")


@campaign_cli.command("count")
@click.argument("campaign_code")
@click.option("--passphrase", "passphrases", multiple=True, metavar="NAME=PASS",
              help="A counting officer's name and passphrase, repeated for k officers (prompted when omitted); "
                   "a bare passphrase for a panel of one.")
def campaign_count(campaign_code, passphrases):
    """Open the ballot box with k officers' passphrases and count."""
    campaign = campaign_by_code(campaign_code)
    panel = keys.panel(campaign)
    if panel is None:
        fail("the ballot box has been counted and its key destroyed" if campaign.counted_at
             else "ballots are counted after the campaign closes")
    officers = keys.officers(campaign)
    by_name = {o.name.casefold(): o.position for o in officers}
    given: dict[int, str] | str = {}
    for value in passphrases:
        name, sep, secret = value.partition("=")
        if sep and name.strip().casefold() in by_name:
            position = by_name[name.strip().casefold()]
            if position in given:
                fail(f"officer {name.strip()!r} is given twice")
            given[position] = secret
        elif len(officers) == 1 and len(passphrases) == 1:
            given = value  # a bare passphrase for a panel of one
        else:
            fail(f"no counting officer is called {name.strip()!r}; the officers are: "
                 + ", ".join(o.name for o in officers))
    if not passphrases:
        for officer in officers:
            if len(given) >= panel.threshold:
                break
            secret = prompt_passphrase(f"Passphrase of {officer.name} (empty to skip)", confirm=False)
            if secret:
                given[officer.position] = secret
    shown = {"at": -1}

    def progress(done, total):
        # total counts each envelope twice: once opened, once stored
        percent = 100 * done // max(total, 1)
        if percent != shown["at"]:
            shown["at"] = percent
            stage = "opening" if done < total // 2 else "storing"
            click.echo(f"\r{percent:3d}% {stage} ({min(done, total // 2) if stage == 'opening' else done - total // 2}"
                       f" of {total // 2} envelopes)", nl=False, err=True)

    try:
        n = count_campaign(campaign, given, progress=progress)
        click.echo("", err=True)
    except keys.TooFewOfficers as error:
        fail(f"counting needs the passphrases of {error.needed} officers; {error.given} given; nothing was changed")
    except keys.WrongOfficerPassphrase as error:
        fail(f"this is not the passphrase of {error.name}; nothing was changed")
    except LifecycleError as error:
        fail(str(error))
    click.echo(f"{n} envelopes opened and counted")


@campaign_cli.command("minutes")
@click.argument("campaign_code")
@click.option("-o", "--out", type=click.Path(dir_okay=False), required=True, help="PDF file to write.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
def campaign_minutes(campaign_code, out, lang):
    """Write the minutes (表决记录) of a counted decision meeting as an A4 PDF."""
    campaign = campaign_by_code(campaign_code)
    if campaign.kind != "decision":
        fail(f"campaign {campaign_code!r} is not a decision meeting")
    if campaign.counted_at is None:
        fail(f"campaign {campaign_code!r} has not been counted yet: the minutes exist once it is")
    data = minutes.pdf(campaign, lang)
    try:
        with open(out, "wb") as handle:
            handle.write(data)
    except OSError as error:
        fail(f"{out}: {error.strerror}")
    click.echo(f"minutes written to {out}")


@campaign_cli.command("mix")
def campaign_mix():
    """Mix waiting envelopes into the ballot boxes now (submissions also do it when due)."""
    n = mixing.mix()
    click.echo(f"{n} envelopes mixed into the ballot boxes")


@campaign_cli.command("results")
@click.argument("campaign_code")
def campaign_results(campaign_code):
    """Print the campaign's results.json."""
    data = adapter.results(campaign_by_code(campaign_code))
    if data is None:
        fail("the ballots have not been counted yet")
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


user_cli = AppGroup("user", help="Manage staff accounts.")


@user_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "staff", "clerk", "leader", "auditor", "officer"]), default="admin")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", "display_name", default="")
@click.option("--target", "target_code", default=None, help="For a leader: the target code whose reports they read.")
def user_create(username, role, password, display_name, target_code):
    target_id = None
    if target_code:
        target = db.session.execute(select(Target).where(Target.code == target_code)).scalar_one_or_none()
        if target is None:
            fail(f"no target with code {target_code!r}")
        target_id = target.id
    if role == "leader" and target_id is None:
        fail("a leader account needs --target")
    try:
        create_user(username, password, role, display_name, target_id)
    except AccountError as error:
        fail(str(error))
    click.echo(f"user {username} ({role}) created")


audit_cli = AppGroup("audit", help="The audit log.")


@audit_cli.command("verify")
def audit_verify():
    """Check the hash chain and every counted campaign's results against their hash and the
    counting officers' signatures; exit status 1 when anything was edited or deleted."""
    problems = audit.verify()
    results_problems, signed, unsigned = signatures.verify_all()
    for problem in problems + results_problems:
        click.echo(problem, err=True)
    if problems or results_problems:
        sys.exit(1)
    click.echo("audit log intact")
    click.echo(f"results of {signed} counted campaigns match their hash and their officers' signatures"
               + (f"; {unsigned} counted before results were signed (unsigned)" if unsigned else ""))


@click.command("demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing when the database holds a campaign already.")
def demo_command(if_empty):
    """Load the demo city: departments, leaders, campaigns and simulated ballots."""
    if if_empty and db.session.execute(select(Campaign.id).limit(1)).first() is not None:
        click.echo("database not empty: demo not loaded")
        return
    demo.load(echo=click.echo)


def init_app(app) -> None:
    for command in (questionnaire_cli, codes_cli, campaign_cli, user_cli, audit_cli, demo_command):
        app.cli.add_command(command)
    paper_cli.init_app(app)
    backup.init_app(app)
    moving.init_app(app)
    meetings_cli.init_app(app)
