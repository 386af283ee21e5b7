"""Forms of the account administration."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from ..auth.operations import MIN_PASSWORD
from ..formtools import choices


def role_choices():
    return choices([("staff", _l("Commission staff")), ("clerk", _l("Clerk (paper ballots only)")),
            ("leader", _l("Leader or unit (own reports only)")), ("auditor", _l("Auditor (read only)")),
            ("officer", _l("Counting officer (own sheets only)")),
            ("admin", _l("Administrator"))])


def _password(label):
    return PasswordField(label, validators=[
        DataRequired(), Length(min=MIN_PASSWORD, max=200, message=_l("At least %(min)d characters.", min=MIN_PASSWORD))],
        render_kw={"autocomplete": "new-password"})


def _repeat():
    return PasswordField(_l("Again"), validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
                         render_kw={"autocomplete": "new-password"})


class UserForm(FlaskForm):
    username = StringField(_l("User name"), validators=[
        DataRequired(), Length(max=64),
        Regexp(r"^[A-Za-z0-9_.@-]+$", message=_l("Letters, digits, '_', '.', '@' and '-' only."))])
    display_name = StringField(_l("Name shown"), validators=[Length(max=200)])
    role = SelectField(_l("Role"), choices=role_choices)
    #: filled by the controller: (0, "—") and the targets
    target = SelectField(_l("Target (for a leader or unit account)"), coerce=int)
    campaigns = SelectMultipleField(_l("Limit to these campaigns (none: all)"), coerce=int)
    password = _password(_l("Temporary password"))
    repeat = _repeat()


class UserEditForm(FlaskForm):
    display_name = StringField(_l("Name shown"), validators=[Length(max=200)])
    campaigns = SelectMultipleField(_l("Limit to these campaigns (none: all)"), coerce=int)


class ResetPasswordForm(FlaskForm):
    password = _password(_l("New temporary password"))
    repeat = _repeat()
