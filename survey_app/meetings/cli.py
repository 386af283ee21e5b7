"""`flask --app wsgi meeting ...`: set a decision meeting up, or change it while it is a draft."""
from dataclasses import replace

import click
from flask.cli import AppGroup

from ..admin.operations import LifecycleError
from ..clitools import campaign_by_code as _campaign
from ..clitools import fail as _fail
from ..models.campaign import MATTER_KINDS, QUORUMS
from .operations import Matter, MeetingError, Setup, create_meeting, edit_meeting, setup_of

meeting_cli = AppGroup("meeting", help="Decision meetings (重大事项表决): set-up and changes before voting opens.")


def _matter(value: str):
    """KIND:中文名[:English name]."""
    kind, _sep, rest = value.partition(":")
    zh, _sep, en = rest.partition(":")
    if kind not in MATTER_KINDS or not zh.strip():
        _fail(f"--matter {value!r}: write KIND:中文名[:English name] with KIND one of {', '.join(MATTER_KINDS)}")
    return Matter(zh.strip(), en.strip(), kind)


def _run(action):
    try:
        return action()
    except (MeetingError, LifecycleError) as error:
        _fail(str(error))


@meeting_cli.command("create")
@click.argument("code")
@click.option("--title-zh", required=True)
@click.option("--title-en", required=True)
@click.option("--body-zh", required=True, help="The deciding body, e.g. 市纪委常委会.")
@click.option("--body-en", default="")
@click.option("--members", type=click.IntRange(1, None), required=True, help="N: all members of the body.")
@click.option("--member", "names", multiple=True, help="A member's name (repeat for each; all or none).")
@click.option("--matter", "matters", multiple=True, required=True, metavar="KIND:中文名[:English]",
              help=f"A matter put to the vote, repeated; KIND is one of {', '.join(MATTER_KINDS)}.")
@click.option("--quorum", type=click.Choice(QUORUMS), default="more_than_half")
@click.option("--personnel-quorum", type=click.Choice(QUORUMS), default="two_thirds")
def meeting_create(code, title_zh, title_en, body_zh, body_en, members, names, matters, quorum, personnel_quorum):
    """Set up a draft decision meeting CODE."""
    setup = Setup(title_zh, title_en, body_zh, body_en, members, tuple(names) or None,
                  tuple(_matter(m) for m in matters), quorum, personnel_quorum)
    campaign = _run(lambda: create_meeting(code, setup))
    click.echo(f"decision meeting {campaign.code} set up: {members} members, {len(setup.matters)} matters")


@meeting_cli.command("set")
@click.argument("code")
@click.option("--members", type=click.IntRange(1, None), default=None)
@click.option("--member", "names", multiple=True, help="Every member's name (replaces the list).")
@click.option("--quorum", type=click.Choice(QUORUMS), default=None)
@click.option("--personnel-quorum", type=click.Choice(QUORUMS), default=None)
@click.option("--matter-kind", "kinds", multiple=True, metavar="NUMBER=KIND",
              help="The kind of the matter at NUMBER (1, 2, ...).")
@click.option("--matter", "matters", multiple=True, metavar="KIND:中文名[:English]",
              help="Replace the matters by these.")
def meeting_set(code, members, names, quorum, personnel_quorum, kinds, matters):
    """Change a draft meeting's members, quorums or matters; refused once voting opens."""
    campaign = _campaign(code)
    if campaign.kind != "decision":
        _fail(f"campaign {code!r} is not a decision meeting")
    setup = setup_of(campaign)
    changes = {}
    if members is not None:
        changes["members"] = members
    if names:
        changes["member_names"] = tuple(names)
    if quorum:
        changes["quorum"] = quorum
    if personnel_quorum:
        changes["personnel_quorum"] = personnel_quorum
    listed = list(tuple(_matter(m) for m in matters) if matters else setup.matters)
    for value in kinds:
        number, _sep, kind = value.partition("=")
        if not number.isdigit() or not 1 <= int(number) <= len(listed) or kind not in MATTER_KINDS:
            _fail(f"--matter-kind {value!r}: write NUMBER=KIND with NUMBER 1 to {len(listed)} and KIND one of "
                  f"{', '.join(MATTER_KINDS)}")
        listed[int(number) - 1] = replace(listed[int(number) - 1], kind=kind)
    changes["matters"] = tuple(listed)
    _run(lambda: edit_meeting(campaign, replace(setup, **changes)))
    click.echo(f"decision meeting {code} changed")


def init_app(app) -> None:
    app.cli.add_command(meeting_cli)
