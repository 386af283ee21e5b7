"""Forms of the commission's pages."""
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import (BooleanField, DateTimeLocalField, FieldList, FloatField, Form, FormField, IntegerField,
                     PasswordField, RadioField, SelectField, StringField, TextAreaField)
from questionnaires import FUNNEL_ALERTS

from ..formtools import CODE, YearRange, choices, kind_choices, upload_field
from ..labels import LABELS
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError



class CampaignForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), CODE])
    title_zh = StringField(_l("Title (Chinese)"), validators=[DataRequired(), Length(max=300)])
    title_en = StringField(_l("Title (English)"), validators=[DataRequired(), Length(max=300)])
    kind = SelectField(_l("Kind"), choices=kind_choices)
    questionnaire_version = SelectField(_l("Questionnaire version"), coerce=int, validate_choice=True)
    opens_at = DateTimeLocalField(_l("Opens at (Beijing time)"), validators=[Optional(), YearRange()],
                                 format="%Y-%m-%dT%H:%M")
    closes_at = DateTimeLocalField(_l("Closes at (Beijing time)"), validators=[Optional(), YearRange()],
                                 format="%Y-%m-%dT%H:%M")
    min_group_size = IntegerField(_l("Minimum group size"), default=5, validators=[DataRequired(), NumberRange(3, 1000, message=_l("At least 3: with fewer respondents, a group's figures would tell how one person answered."))])
    show_ranks = BooleanField(_l("Show ranks and publish a ranking"), default=True)
    # the method's funnel_alerts: "" (none), "0.95" or "0.998"; checked below with words of its own
    funnel_alerts = SelectField(_l("Alerts from the funnel plot"), default="", validate_choice=False,
                                coerce=lambda value: "" if value is None else str(value),
                                choices=choices([("", _l("None: alerts from the dissatisfaction rate only")),
                                                 ("0.95", _l("Beyond the limit of 95%")),
                                                 ("0.998", _l("Beyond the limit of 99.8%"))]))
    hotline = StringField(_l("Supervision hotline"), validators=[Length(max=100)])
    contact = StringField(_l("Contact"), validators=[Length(max=300)])

    def validate_closes_at(self, field):
        if field.data and self.opens_at.data and field.data <= self.opens_at.data:
            raise ValidationError(_l("The campaign must close after it opens."))

    def validate_funnel_alerts(self, field):
        if field.data not in [""] + [str(level) for level in FUNNEL_ALERTS]:
            raise ValidationError(_l("Choose none, the limit of 95%, or the limit of 99.8%."))

    @property
    def funnel_level(self) -> float | None:
        """The chosen funnel_alerts as the method has it: None, 0.95 or 0.998."""
        return float(self.funnel_alerts.data) if self.funnel_alerts.data else None

    def validate_kind(self, field):
        # A decision meeting has members, matters and quorums of its own: its own form sets them.
        if field.data == "decision" and field.object_data != "decision":
            raise ValidationError(_l("A decision meeting is set up with “New decision meeting”."))
        if field.object_data == "decision" and field.data != "decision":
            raise ValidationError(_l("A decision meeting stays a decision meeting."))


class GroupForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), CODE])
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=200)])
    weight = FloatField(_l("Weight"), default=1.0, validators=[NumberRange(min=0, max=1000)])
    access = RadioField(_l("How respondents answer"), default="code",
                        choices=choices([("code", _l("One-time access codes")), ("public", _l("Open public link"))]))
    expected = IntegerField(_l("Expected respondents"), default=0, validators=[NumberRange(0, 10_000_000)])


class GroupEditForm(FlaskForm):
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=200)])
    weight = FloatField(_l("Weight"), validators=[NumberRange(min=0, max=1000)])
    expected = IntegerField(_l("Expected respondents"), validators=[NumberRange(0, 10_000_000)])


class TargetForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), CODE])
    kind = SelectField(_l("Kind"), choices=choices(LABELS["target_kind"].items()))
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=200)])
    post_zh = StringField(_l("Post (Chinese)"), validators=[Length(max=200)])
    post_en = StringField(_l("Post (English)"), validators=[Length(max=200)])


#: the longest panel (as `ballots.keys.MAX_OFFICERS`)
MAX_OFFICERS = 9


class OfficerForm(Form):
    """One counting officer of a new panel: a name, optionally an account, and their own passphrase."""
    name = StringField(lazy_pgettext("of a person", "Name"), validators=[DataRequired(), Length(max=200)])
    account = SelectField(_l("Account (optional)"), coerce=int, default=0, validate_choice=True)
    passphrase = PasswordField(_l("Passphrase"), validators=[
        DataRequired(), Length(min=12, max=500, message=_l("At least %(min)d characters.", min=12))],
        render_kw={"autocomplete": "new-password"})
    repeat = PasswordField(_l("Passphrase again"), validators=[
        DataRequired(), EqualTo("passphrase", message=_l("The two passphrases differ."))],
        render_kw={"autocomplete": "new-password"})


class _PanelFields:
    threshold = IntegerField(_l("Officers needed to count"), default=2, validators=[
        InputRequired(), NumberRange(1, MAX_OFFICERS)])
    officers = FieldList(FormField(OfficerForm), min_entries=1, max_entries=MAX_OFFICERS)

    def validate_threshold(self, field):
        if field.data is not None and field.data > len(self.officers.entries):
            raise ValidationError(_l("At most %(n)d: the number of officers.", n=len(self.officers.entries)))

    def validate_officers(self, field):
        names = [e.form.name.data.strip().casefold() for e in field.entries if e.form.name.data]
        if len(set(names)) != len(names):
            raise ValidationError(_l("Two officers have the same name."))
        accounts = [e.form.account.data for e in field.entries if e.form.account.data]
        if len(set(accounts)) != len(accounts):
            raise ValidationError(_l("One account is chosen for two officers."))


class OpenForm(_PanelFields, FlaskForm):
    """Opening a campaign: the panel of counting officers, each typing their own passphrase."""


class OfficerPassphraseForm(Form):
    """One officer's turn at counting or re-sharing: who they are and their passphrase."""
    officer = SelectField(_l("Officer"), coerce=int, validate_choice=True)
    passphrase = PasswordField(_l("Passphrase"), validators=[Optional(), Length(max=500)],
                               render_kw={"autocomplete": "off"})


def _one_turn_each(form, field):
    chosen = [e.form.officer.data for e in field.entries if e.form.passphrase.data]
    if len(set(chosen)) != len(chosen):
        raise ValidationError(_l("Each officer enters their passphrase once."))


class CountForm(FlaskForm):
    officers = FieldList(FormField(OfficerPassphraseForm), min_entries=1, max_entries=MAX_OFFICERS,
                         validators=[_one_turn_each])


class ReshareForm(_PanelFields, FlaskForm):
    """k current officers' passphrases, then the new panel."""
    current = FieldList(FormField(OfficerPassphraseForm), min_entries=1, max_entries=MAX_OFFICERS,
                        validators=[_one_turn_each])


#: slips one request renders (about 15 s on 2 cores, inside gunicorn's 60 s timeout)
MAX_SLIPS_PER_PRINT = 2000


class IssueCodesForm(FlaskForm):
    group = SelectField(_l("Group"), coerce=int, validate_choice=True)
    count = IntegerField(_l("Number of codes"), default=50, validators=[DataRequired(), NumberRange(1, 5000)])
    format = RadioField(_l("Download as"), default="csv",
                        choices=choices([("csv", _l("CSV list")), ("pdf", _l("Printable slips (PDF)"))]))

    def validate_count(self, field):
        # 2,000 slips render in well under gunicorn's timeout; a larger print run is several batches
        if self.format.data == "pdf" and field.data and field.data > MAX_SLIPS_PER_PRINT:
            raise ValidationError(_l("Print at most %(n)d slips at a time; issue several batches.",
                                     n=MAX_SLIPS_PER_PRINT))


class RevokeForm(FlaskForm):
    group = SelectField(_l("Group"), coerce=int, validate_choice=True)
    confirm = BooleanField(_l("Yes, withdraw every unused code of this group"), validators=[DataRequired()])


class TargetReportForm(FlaskForm):
    report_zh = TextAreaField(_l("Duty-and-integrity report (Chinese)"), validators=[Length(max=50_000)])
    report_en = TextAreaField(_l("Duty-and-integrity report (English)"), validators=[Length(max=50_000)])
    report_pdf = FileField(_l("Report as PDF (optional)"), validators=[FileAllowed(["pdf"], _l("A .pdf file, please."))])
    remove_pdf = BooleanField(_l("Remove the PDF"))


class TargetImportForm(FlaskForm):
    file = upload_field(_l("Targets file (CSV or XLSX)"), ("csv", "xlsx"), _l("A .csv or .xlsx file, please."))


class CopySetupForm(FlaskForm):
    source = SelectField(_l("Copy from"), coerce=int, validate_choice=True)
