"""Account administration and the audit log: load, check, validate, call `auth.operations`."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import audit
from ..auth import operations as accounts
from ..extensions import db
from ..formtools import TickToConfirmForm, choices
from ..i18n import current_language
from ..models import Campaign, Target, User
from . import operations
from .forms import ResetPasswordForm, UserEditForm, UserForm


def _load_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _campaign_choices():
    locale = current_language()
    rows = db.session.execute(select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc())).scalars()
    return choices([(c.id, f"{c.code} · {c.title(locale)}") for c in rows])


def _target_choices():
    locale = current_language()
    rows = db.session.execute(select(Target).order_by(Target.kind, Target.code)).scalars()
    return choices([(0, "—")] + [(t.id, f"{t.code} · {t.name(locale)}") for t in rows])


def users():
    rows = db.session.execute(select(User).order_by(User.active.desc(), User.role, User.username)).scalars().all()
    campaigns = {c.id: c for c in db.session.execute(select(Campaign)).scalars()}
    return render_template("accounts/users.html", users=rows, campaigns=campaigns, locale=current_language())


def user_new():
    form = UserForm()
    form.target.choices = _target_choices()
    form.campaigns.choices = _campaign_choices()
    if form.validate_on_submit():
        target_id = form.target.data or None
        if form.role.data == "leader" and target_id is None:
            form.target.errors.append(_("A leader account needs the target whose reports it reads."))
        else:
            try:
                user = accounts.create_user(form.username.data, form.password.data, form.role.data,
                                            form.display_name.data or "", target_id, form.campaigns.data or (),
                                            temporary=True)
            except accounts.AccountError as error:
                form.username.errors.append(str(error))
            else:
                flash(_("Account %(name)s created. Hand over the temporary password in person; it must be changed at the first login.",
                        name=user.username), "success")
                return redirect(url_for("accounts.user", user_id=user.id))
    return render_template("accounts/user_form.html", form=form), (400 if form.errors else 200)


def user(user_id: int):
    account = _load_user(user_id)
    form = UserEditForm(obj=account)
    form.campaigns.choices = _campaign_choices()
    if request.method == "GET":
        form.campaigns.data = [s.campaign_id for s in account.scopes]
    if form.validate_on_submit():
        try:
            accounts.update_user(account, display_name=form.display_name.data or "",
                                 campaign_ids=form.campaigns.data or ())
        except accounts.AccountError as error:
            form.campaigns.errors.append(str(error))
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("accounts.user", user_id=account.id))
    return _user_page(account, form=form)


def _user_page(account, form=None, reset=None, confirm=None):
    form = form or UserEditForm(obj=account, formdata=None)
    if form.campaigns.choices is None:
        form.campaigns.choices = _campaign_choices()
        form.campaigns.data = [s.campaign_id for s in account.scopes]
    forms = [form, reset, confirm]
    status = 400 if any(f is not None and f.errors for f in forms) else 200
    return render_template("accounts/user.html", account=account, form=form,
                           reset=reset or ResetPasswordForm(formdata=None),
                           confirm=confirm or TickToConfirmForm(formdata=None),
                           scoped=account.role in accounts.SCOPED_ROLES, locale=current_language()), status


def _set_active(user_id: int, active: bool):
    account = _load_user(user_id)
    confirm = TickToConfirmForm()
    if not confirm.validate_on_submit():
        return _user_page(account, confirm=confirm)
    try:
        accounts.set_active(account, active, by=current_user)
    except accounts.AccountError as error:
        confirm.confirm.errors.append(str(error))
        return _user_page(account, confirm=confirm)
    flash(_("The account is active again.") if active else
          _("The account is deactivated: it can no longer log in, and its open sessions have ended."), "success")
    return redirect(url_for("accounts.user", user_id=account.id))


def deactivate(user_id: int):
    return _set_active(user_id, False)


def activate(user_id: int):
    return _set_active(user_id, True)


def reset_password(user_id: int):
    account = _load_user(user_id)
    reset = ResetPasswordForm()
    if reset.validate_on_submit():
        try:
            accounts.reset_password(account, reset.password.data)
        except accounts.AccountError as error:
            reset.password.errors.append(str(error))
        else:
            flash(_("The temporary password is set; the account must change it at the next login."), "success")
            return redirect(url_for("accounts.user", user_id=account.id))
    return _user_page(account, reset=reset)


def audit_log():
    page = request.args.get("page", 1, type=int)
    if page < 1 or page > 1_000_000:
        abort(404)
    action = (request.args.get("action") or "").strip()[:64]
    actor = (request.args.get("actor") or "").strip()[:64]
    entries = operations.audit_page(page, action, actor)
    problems = audit.verify()
    return render_template("accounts/audit.html", entries=entries, action=action, actor=actor,
                           actions=operations.audit_actions(), actors=operations.audit_actors(),
                           problems=problems)
