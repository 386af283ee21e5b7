from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..extensions import limiter
from ..i18n import safe_next
from ..security import can
from . import operations
from .forms import LoginForm, PasswordForm


def _home_for(user) -> str:
    if can("campaign.read", user=user):
        return url_for("admin.index")
    if can("reports.read", user=user):  # a leader reads their reports
        return url_for("reports.index")
    if can("own_sheets.read", user=user):  # counting officers read their own sheets
        return url_for("admin.my_sheets")
    if can("paper.enter", user=user):  # clerks enter paper ballots and see nothing else
        return url_for("paper.index") if "paper.index" in current_app.view_functions else url_for("public.index")
    return url_for("admin.index")


@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user, reason = operations.authenticate(form.username.data.strip(), form.password.data)
        if user is not None:
            session.clear()
            login_user(user)
            if user.must_change_password:
                flash(_("Your password was set by an administrator: choose your own now."), "info")
                return redirect(url_for("auth.password"))
            return redirect(safe_next(request.args.get("next"), _home_for(user)))
        if reason == "locked":
            form.username.errors.append(_("Too many failed attempts: this account is locked for 15 minutes."))
        else:
            form.password.errors.append(_("Wrong user name or password."))
    return render_template("auth/login.html", form=form), (400 if form.errors else 200)


def logout():
    if current_user.is_authenticated:
        operations.record_logout(current_user._get_current_object())
    logout_user()
    session.clear()
    return redirect(url_for("public.index"))


def password():
    form = PasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append(_("This is not your current password."))
        else:
            user = current_user._get_current_object()
            try:
                operations.change_password(user, form.new.data)
            except operations.AccountError as error:
                form.new.errors.append(str(error))
            else:
                # The session id follows the password: renew this session, the others end.
                login_user(user)
                flash(_("Your password has been changed."), "success")
                return redirect(_home_for(user))
    return render_template("auth/password.html", form=form), (400 if form.errors else 200)
