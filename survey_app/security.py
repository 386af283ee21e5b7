"""Who may reach which endpoint and which object, decided in one place, plus headers (error pages: `errors.py`).

Two layers, both checked before any view runs: the role table `ENDPOINTS` (fail closed)
and `object_allowed`, which looks at the URL's ids (`campaign_id`, `target_id`,
`campaign_target_id`, `group_id`, `code`) and applies campaign scopes and a leader's
own-target-after-publication rule, so a new route taking those ids cannot forget them.
Views, lists and templates ask the same rules through `can(action, obj)`: no other
module tests a role to decide what a user may see or do.
"""
import functools
import hmac

from flask import abort, g, redirect, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import bindparam, inspect, select

from .extensions import db, login
from .models import (AlertCase, Campaign, CampaignTarget, CaseStep, Commitment, CountingOfficer, ProgressEntry,
                     RectificationItem, RectificationProgress, RespondentGroup, Target, User)

PUBLIC = "public"
ANY_USER = frozenset({"admin", "staff", "clerk", "leader", "auditor", "officer"})
#: read views of the commission's work
STAFF_READ = frozenset({"admin", "staff", "auditor"})
#: actions that change campaigns
STAFF_WRITE = frozenset({"admin", "staff"})
ADMIN = frozenset({"admin"})
PAPER = frozenset({"admin", "staff", "clerk"})
REPORT_READERS = frozenset({"admin", "staff", "auditor", "leader"})
AUDIT_READERS = frozenset({"admin", "auditor"})
#: a counting officer's account reads its own sheets (the view refuses another's)
OFFICER_SHEET = frozenset({"admin", "staff", "auditor", "officer"})
OFFICER = frozenset({"officer"})
#: public commitments: staff and auditors read all in scope, a leader their own target's
COMMITMENT_READERS = frozenset({"admin", "staff", "auditor", "leader"})
#: enter commitments and progress: staff, and a leader for their own target (drafts only)
COMMITMENT_WRITERS = frozenset({"admin", "staff", "leader"})
#: the follow-up of alerts: staff and auditors read the cases in scope, a leader their own target's
CASE_READERS = frozenset({"admin", "staff", "auditor", "leader"})
#: the leader answers a letter of inquiry and files the self-correction report
CASE_ANSWER = frozenset({"leader"})
#: roles that campaign scopes can limit (an account of another role has none)
SCOPED_ROLES = ("staff", "clerk", "auditor")

#: Every endpoint must be listed here; one that is not is refused (fail closed), and a
#: test walks the URL map to keep this table complete.
ENDPOINTS: dict[str, object] = {
    "static": PUBLIC,
    "i18n.set_language": PUBLIC,
    "public.index": PUBLIC,
    "public.campaign": PUBLIC,
    "public.receipts": PUBLIC,
    "public.health": PUBLIC,
    "public.favicon": PUBLIC,
    "respond.enter": PUBLIC,
    "respond.public_link": PUBLIC,
    "respond.questionnaire": PUBLIC,
    "respond.report_pdf": PUBLIC,
    "respond.done": PUBLIC,
    "respond.leave": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": ANY_USER,
    "auth.password": ANY_USER,
    "admin.index": STAFF_READ,
    "admin.campaign": STAFF_READ,
    "admin.campaign_new": STAFF_WRITE,
    "admin.campaign_edit": STAFF_WRITE,
    "admin.group_new": STAFF_WRITE,
    "admin.group_edit": STAFF_WRITE,
    "admin.targets": STAFF_WRITE,
    "admin.open_campaign": STAFF_WRITE,
    "admin.close_campaign": STAFF_WRITE,
    "admin.count_campaign": STAFF_WRITE,
    "admin.officers": STAFF_READ,
    "admin.reshare_officers": STAFF_WRITE,
    "admin.officer_sheet": OFFICER_SHEET,
    "admin.officer_sheet_pdf": OFFICER_SHEET,
    "admin.my_sheets": OFFICER,
    "admin.publish_campaign": STAFF_WRITE,
    "admin.import_targets": STAFF_WRITE,
    "admin.copy_setup": STAFF_WRITE,
    "admin.issue_codes": STAFF_WRITE,
    "admin.revoke_codes": STAFF_WRITE,
    "admin.poster": STAFF_READ,
    "admin.target_report": STAFF_WRITE,
    "admin.turnout": STAFF_READ,
    "admin.count_progress": STAFF_WRITE,
    "admin.results": STAFF_READ,
    "admin.method_json": STAFF_READ,
    "designer.index": STAFF_READ,
    "designer.questionnaires": STAFF_READ,
    "designer.upload": STAFF_WRITE,
    "designer.version": STAFF_READ,
    "designer.version_yaml": STAFF_READ,
    "designer.version_publish": STAFF_WRITE,
    # the library's old addresses under /admin: a redirect to the page, which checks access itself
    "designer.moved": PUBLIC,
    "designer.start": STAFF_WRITE,
    "designer.import_yaml": STAFF_WRITE,
    "designer.edit": STAFF_READ,
    "designer.preview": STAFF_READ,
    "designer.header": STAFF_WRITE,
    "designer.scale": STAFF_WRITE,
    "designer.dimensions": STAFF_WRITE,
    "designer.section_new": STAFF_WRITE,
    "designer.section": STAFF_WRITE,
    "designer.item_new": STAFF_WRITE,
    "designer.item": STAFF_WRITE,
    "designer.structure": STAFF_WRITE,
    "designer.publish": STAFF_WRITE,
    "designer.new_draft": STAFF_WRITE,
    "reports.index": REPORT_READERS,
    "paper.index": PAPER,
    "paper.campaign": PAPER,
    "paper.enter": PAPER,
    "paper.sheet": PAPER,
    "paper.print_sheets": STAFF_WRITE,
    "paper.batch_pdf": STAFF_WRITE,
    "paper.rules": STAFF_WRITE,
    "paper.check": STAFF_WRITE,
    "paper.import_answers": STAFF_WRITE,
    "paper.reconciliation": STAFF_READ,
    "reports.report": REPORT_READERS,
    "reports.report_pdf": REPORT_READERS,
    "reports.dashboard": STAFF_READ,
    "reports.drilldown": STAFF_READ,
    "reports.comments": STAFF_READ,
    "reports.moderate": STAFF_WRITE,
    "reports.moderate_many": STAFF_WRITE,
    "reports.export_xlsx": STAFF_READ,
    "reports.export_csv": STAFF_READ,
    "public.bundle": PUBLIC,
    "accounts.users": ADMIN,
    "accounts.user_new": ADMIN,
    "accounts.user": ADMIN,
    "accounts.deactivate": ADMIN,
    "accounts.activate": ADMIN,
    "accounts.reset_password": ADMIN,
    "accounts.audit_log": AUDIT_READERS,
    "commitments.board": COMMITMENT_READERS,
    "commitments.new": COMMITMENT_WRITERS,
    "commitments.commitment": COMMITMENT_READERS,
    "commitments.edit": COMMITMENT_WRITERS,
    "commitments.submit": COMMITMENT_WRITERS,
    "commitments.publish": STAFF_WRITE,
    "commitments.send_back": STAFF_WRITE,
    "commitments.status": STAFF_WRITE,
    "commitments.progress_new": COMMITMENT_WRITERS,
    "commitments.review": STAFF_WRITE,
    "commitments.attachment": COMMITMENT_READERS,
    "commitments.import_commitments": STAFF_WRITE,
    # published commitments and reviewed progress only: the views ask nothing else of the database
    "commitments.public_index": PUBLIC,
    "commitments.public_target": PUBLIC,
    "commitments.public_attachment": PUBLIC,
    "rectification.board": COMMITMENT_READERS,
    "rectification.ledger": COMMITMENT_READERS,
    "rectification.new": STAFF_WRITE,
    "rectification.publicity": STAFF_WRITE,
    "rectification.start_review": STAFF_WRITE,
    "rectification.item": COMMITMENT_READERS,
    "rectification.plan": COMMITMENT_WRITERS,
    "rectification.submit": COMMITMENT_WRITERS,
    "rectification.approve": STAFF_WRITE,
    "rectification.send_back": STAFF_WRITE,
    "rectification.ask_check": COMMITMENT_WRITERS,
    "rectification.check": STAFF_WRITE,
    "rectification.progress_new": COMMITMENT_WRITERS,
    "rectification.review": STAFF_WRITE,
    "rectification.attachment": COMMITMENT_READERS,
    # a campaign's ledger when staff made it public: problems, measures and statuses, nothing else
    "rectification.public_index": PUBLIC,
    "rectification.public_campaign": PUBLIC,
    # cases of the follow-up of alerts: never public
    "followup.board": CASE_READERS,
    "followup.new": STAFF_WRITE,
    "followup.sync": STAFF_WRITE,
    "followup.case": CASE_READERS,
    "followup.step": STAFF_WRITE,
    "followup.answer": CASE_ANSWER,
    "followup.close": STAFF_WRITE,
    "followup.attachment": CASE_READERS,
    "meetings.new": STAFF_WRITE,
    "meetings.edit": STAFF_WRITE,
    "meetings.minutes": STAFF_READ,
}


def role_allows(rule, role: str | None, method: str) -> bool:
    """Whether `role` passes a rule of `ENDPOINTS` for an HTTP method."""
    if rule == PUBLIC:
        return True
    if role is None or role not in rule:
        return False
    # Auditors read everything they are shown and change nothing.
    return role != "auditor" or method in ("GET", "HEAD")


#: endpoints a user who must change a temporary password may still reach
PASSWORD_CHANGE_ALLOWED = frozenset({"auth.password", "auth.logout", "static", "i18n.set_language"})


def scoped_campaign_ids(user) -> set[int] | None:
    """The campaigns a staff, clerk or auditor account is limited to; None means all."""
    if user.role not in SCOPED_ROLES:
        return None
    ids = {s.campaign_id for s in user.scopes}
    return ids or None


def reach(user) -> str:
    """What an account reaches, as the accounts pages show it: "everything" (an admin), "own_target"
    (a leader: their target's published reports), "campaigns" (a scoped account: `user.scopes`) or
    "all_campaigns"."""
    if user.role == "admin":
        return "everything"
    if user.role == "leader":
        return "own_target"
    return "campaigns" if scoped_campaign_ids(user) else "all_campaigns"


@functools.cache
def _leader_link():
    """(built once: whether a leader's target is among a campaign's, asked on each of their views,
    without loading every target of the campaign)"""
    return select(CampaignTarget.id).where(CampaignTarget.campaign_id == bindparam("campaign_id"),
                                           CampaignTarget.target_id == bindparam("target_id")).limit(1)


def campaign_allowed(user, campaign, target_id: int | None = None) -> bool:
    """Scopes for commission accounts; a leader only their own target's published campaigns."""
    if user.role == "leader":
        if campaign.status != "published" or user.target_id is None:
            return False
        if target_id is not None and target_id != user.target_id:
            return False
        if "campaign_targets" not in inspect(campaign).unloaded:  # (loaded already: no query)
            return any(ct.target_id == user.target_id for ct in campaign.campaign_targets)
        return db.session.execute(_leader_link(), {"campaign_id": campaign.id,
                                                   "target_id": user.target_id}).first() is not None
    scope = scoped_campaign_ids(user)
    return scope is None or campaign.id in scope


#: What each action asks of the user's role. Actions ending in ".read" only read, so the
#: auditor's read-only rule of `role_allows` applies to the others as to POST requests.
ACTIONS: dict[str, frozenset] = {
    #: the commission's campaigns, questionnaires, dashboards, comments and exports
    "campaign.read": STAFF_READ,
    #: change a campaign: its groups, targets, codes, officers, state
    "campaign.write": STAFF_WRITE,
    "questionnaire.write": STAFF_WRITE,
    "comments.moderate": STAFF_WRITE,
    #: type in paper sheets
    "paper.enter": PAPER,
    #: print sheets, set the rules, make the third check, import answers
    "paper.manage": STAFF_WRITE,
    #: the list of feedback reports
    "reports.read": REPORT_READERS,
    #: one report: on a Campaign or a CampaignTarget, a leader only their own target's, once published
    "report.read": REPORT_READERS,
    #: a counting officer's sheet: on a CountingOfficer, an officer's account only its own
    "officer_sheet.read": OFFICER_SHEET,
    #: the sheets of the officer logged in
    "own_sheets.read": OFFICER,
    "accounts.manage": ADMIN,
    "audit.read": AUDIT_READERS,
    #: the board of commitments (a leader's shows only their own target's)
    "commitments.read": COMMITMENT_READERS,
    #: import commitments for any target in scope
    "commitments.manage": STAFF_WRITE,
    #: on a Target: enter a new commitment for it (a leader only for their own)
    "commitment.new": COMMITMENT_WRITERS,
    #: on a Commitment or ProgressEntry: read it, drafts and pending progress included
    "commitment.read": COMMITMENT_READERS,
    #: on a Commitment: change its words, deadline, announcement, category; a leader only a draft of their own
    "commitment.edit": COMMITMENT_WRITERS,
    #: on a Commitment: report progress (a leader on their own target's)
    "commitment.progress": COMMITMENT_WRITERS,
    #: on a Commitment or ProgressEntry: publish, send back, set the status, review progress
    "commitment.manage": STAFF_WRITE,
    #: the rectification board (a leader's shows only their own target's items)
    "ledger.read": COMMITMENT_READERS,
    #: on a Campaign: record problems of its targets, choose whether its ledger is public
    "ledger.manage": STAFF_WRITE,
    #: on a RectificationItem or RectificationProgress: read it, drafts and pending progress included
    "rectification.read": COMMITMENT_READERS,
    #: on a RectificationItem: draft the measures and submit them; a leader only while the plan is a draft
    "rectification.plan": COMMITMENT_WRITERS,
    #: on a RectificationItem: report progress, ask for the closing check (a leader on their own target's)
    "rectification.progress": COMMITMENT_WRITERS,
    #: on a RectificationItem or RectificationProgress: approve the plan, send it back, review, close
    "rectification.manage": STAFF_WRITE,
    #: the board of alert cases (a leader's shows only their own target's)
    "cases.read": CASE_READERS,
    #: open cases by hand, open the missing ones of published campaigns
    "cases.manage": STAFF_WRITE,
    #: on an AlertCase or CaseStep: read it (never public)
    "case.read": CASE_READERS,
    #: on an AlertCase: record a talk or a letter, close it
    "case.manage": STAFF_WRITE,
    #: on an AlertCase: answer a letter, file the self-correction report (the leader of its target)
    "case.answer": CASE_ANSWER,
}


def can(action: str, obj=None, user=None) -> bool:
    """Whether `user` (the one logged in by default) may do `action`, on `obj` when given.

    `obj` is a Campaign, a CampaignTarget, a CountingOfficer or a RectificationItem (or its
    progress); its campaign's scope and the leader's rule of `campaign_allowed` apply. On a Target, Commitment or
    ProgressEntry the target's rule of `target_allowed` applies, and a leader edits only a draft; so on an AlertCase
    or CaseStep. Templates call it as `can('campaign.write', campaign)`.
    """
    user = current_user if user is None else user
    if user is None or not user.is_authenticated:
        return False
    if not role_allows(ACTIONS[action], user.role, "GET" if action.endswith(".read") else "POST"):
        return False
    if obj is None:
        return True
    if isinstance(obj, Campaign):
        return campaign_allowed(user, obj)
    if isinstance(obj, CampaignTarget):
        return campaign_allowed(user, obj.campaign, obj.target_id)
    if isinstance(obj, CountingOfficer):
        if user.role in OFFICER:
            return obj.user_id == user.id
        return campaign_allowed(user, db.session.get(Campaign, obj.campaign_id))
    if isinstance(obj, RectificationProgress):
        obj = obj.item
    if isinstance(obj, RectificationItem):
        if action == "rectification.plan" and user.role == "leader" and obj.plan_state != "draft":
            return False
        return rectification_allowed(user, obj)
    if isinstance(obj, ProgressEntry):
        obj = obj.commitment
    if isinstance(obj, CaseStep):
        obj = obj.case
    if isinstance(obj, AlertCase):
        return target_allowed(user, obj.target_id)
    if isinstance(obj, Target):
        return target_allowed(user, obj.id)
    if isinstance(obj, Commitment):
        if action == "commitment.edit" and user.role == "leader" and obj.state != "draft":
            return False
        return target_allowed(user, obj.target_id)
    raise TypeError(f"no access rule for {type(obj).__name__}")


def allowed_campaigns(action: str, campaigns, user=None) -> list:
    """The campaigns among `campaigns` on which `user` may do `action`, in their order: how lists apply scopes."""
    return [campaign for campaign in campaigns if can(action, campaign, user)]


def commitment_target_ids(user) -> set[int] | None:
    """The targets whose commitments `user` reaches; None means all. A leader reaches their own
    target; a scoped account the targets of its campaigns."""
    if user.role == "leader":
        return {user.target_id} if user.target_id is not None else set()
    scope = scoped_campaign_ids(user)
    if scope is None:
        return None
    return set(db.session.execute(select(CampaignTarget.target_id)
                                  .where(CampaignTarget.campaign_id.in_(scope))).scalars())


def target_allowed(user, target_id: int) -> bool:
    """Whether `user` reaches the commitments of a target (see `commitment_target_ids`)."""
    reached = commitment_target_ids(user)
    return reached is None or target_id in reached


def rectification_allowed(user, item) -> bool:
    """A ledger item as its campaign's published report: staff and auditors in the campaign's
    scope, a leader only their own target's (the campaign is published before any item exists)."""
    return campaign_allowed(user, item.campaign, item.target_id)


def load_object(model, ident: int, action: str):
    """The `model` row `ident` for a view: 404 when missing, 403 when `can(action, row)` says no."""
    row = db.session.get(model, ident)
    if row is None:
        abort(404)
    if not can(action, row):
        abort(403)
    return row


def load_campaign(campaign_id: int):
    """The campaign for a view: 404 when missing, 403 when the user's scope excludes it."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    if not campaign_allowed(current_user, campaign):
        abort(403)
    return campaign


def _target_rule(user, obj) -> bool:
    return target_allowed(user, obj.target_id)


#: URL ids of entries that belong to a parent whose rule decides: (the entry's id, its model, the
#: attribute naming its parent, the parent's id, its model, the rule on the parent)
_OWNED = (
    ("progress_id", ProgressEntry, "commitment", "commitment_id", Commitment, _target_rule),
    ("rectification_progress_id", RectificationProgress, "item", "rectification_id", RectificationItem,
     rectification_allowed),
    ("step_id", CaseStep, "case", "case_id", AlertCase, _target_rule),
)


def object_allowed(user, args: dict) -> bool:
    """Object-level check of a non-public route from its URL parameters (missing objects pass: the view 404s)."""
    target_id = args.get("target_id")
    if user.role == "leader" and target_id is not None and target_id != user.target_id:
        return False
    campaigns = []
    if "campaign_target_id" in args:
        link = db.session.get(CampaignTarget, args["campaign_target_id"])
        if link is not None:
            if user.role == "leader" and link.target_id != user.target_id:
                return False
            campaigns.append((link.campaign, link.target_id))
    if "campaign_id" in args:
        campaign = db.session.get(Campaign, args["campaign_id"])
        if campaign is not None:
            campaigns.append((campaign, target_id))
    if "group_id" in args:
        group = db.session.get(RespondentGroup, args["group_id"])
        if group is not None:
            campaigns.append((group.campaign, target_id))
    for entry_arg, entry_model, parent_attr, parent_arg, parent_model, allowed in _OWNED:
        parent = None
        if entry_arg in args:
            entry = db.session.get(entry_model, args[entry_arg])
            parent = getattr(entry, parent_attr) if entry is not None else None
        if parent_arg in args:
            parent = db.session.get(parent_model, args[parent_arg])
        if parent is not None and not allowed(user, parent):
            return False
    if isinstance(args.get("code"), str):
        campaign = db.session.execute(select(Campaign).where(Campaign.code == args["code"])).scalar_one_or_none()
        if campaign is not None:
            campaigns.append((campaign, target_id))
    # The session's identity map holds rows weakly: the view's own `db.session.get` of the same
    # campaign finds it loaded only while something holds it, so the request does till its end.
    g.checked_campaigns = campaigns
    return all(campaign_allowed(user, campaign, tid) for campaign, tid in campaigns)


def _has_nul(values) -> bool:
    return any("\x00" in value for _key, value in values.items(multi=True))


def _check_access():
    endpoint = request.endpoint
    if endpoint is None:
        return None  # no route: let the 404 happen
    # NUL characters are never legitimate input, and PostgreSQL cannot store them in text.
    if _has_nul(request.args) or (request.method == "POST" and _has_nul(request.form)):
        abort(400, description=_l("The request contains a NUL character, which no field accepts."))
    rule = ENDPOINTS.get(endpoint)
    if rule is None:
        abort(403)
    if rule == PUBLIC:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if not role_allows(rule, current_user.role, request.method):
        abort(403)
    if current_user.must_change_password and endpoint not in PASSWORD_CHANGE_ALLOWED:
        return redirect(url_for("auth.password"))
    if not object_allowed(current_user, request.view_args or {}):
        abort(403)
    return None


def load_user_from_token(token: str):
    user_id, _sep, mac = token.partition(":")
    if not user_id.isdigit() or not mac:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or not hmac.compare_digest(user.get_id(), token):
        return None
    return user


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed session cookie, with its serializer built once per set of keys: Flask
    builds a new one to read the cookie and another to write it, on every request."""

    def __init__(self):
        self._serializers: dict = {}

    def get_signing_serializer(self, app):
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if keys not in self._serializers:
            self._serializers[keys] = super().get_signing_serializer(app)
        return self._serializers[keys]


def init_app(app) -> None:
    app.session_interface = SessionInterface()
    login.login_view = "auth.login"
    login.login_message = _l("Please log in to see this page.")
    login.session_protection = "strong"

    # A deactivated account or a changed password ends the sessions already open.
    login.user_loader(load_user_from_token)

    app.before_request(_check_access)
    app.jinja_env.globals["can"] = can
    app.jinja_env.globals["reach"] = reach

    @app.after_request
    def _headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; frame-src 'self'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if getattr(g, "no_store", False) or request.blueprint == "respond":
            response.headers["Cache-Control"] = "no-store"
        return response
