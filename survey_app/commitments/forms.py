"""Forms of the commitments pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..formtools import YearRange, choices, upload_field
from ..labels import LABELS
from ..models.commitment import CATEGORIES, STATUSES


class CommitmentForm(FlaskForm):
    target = SelectField(_l("Leader or unit"), coerce=int, validate_choice=True)
    text_zh = TextAreaField(_l("What is promised (Chinese)"), validators=[DataRequired(), Length(max=5000)])
    text_en = TextAreaField(_l("What is promised (English)"), validators=[Length(max=5000)])
    measure_zh = TextAreaField(_l("Measurable target (Chinese)"), validators=[Length(max=2000)])
    measure_en = TextAreaField(_l("Measurable target (English)"), validators=[Length(max=2000)])
    deadline = DateField(_l("Deadline"), validators=[DataRequired(message=_l("Enter a date.")), YearRange()])
    announced_on = DateField(_l("Announced on"), validators=[Optional(), YearRange()])
    announced_where = StringField(_l("Announced where (newspaper, broadcast, meeting)"), validators=[Length(max=300)])
    category = SelectField(_l("Category"), choices=lambda: choices((c, LABELS["commitment_category"][c])
                                                                   for c in CATEGORIES))

    def validate_deadline(self, field):
        if field.data and self.announced_on.data and field.data < self.announced_on.data:
            raise ValidationError(_l("The deadline lies before the announcement."))


class ProgressForm(FlaskForm):
    on = DateField(_l("Date"), validators=[DataRequired(message=_l("Enter a date.")), YearRange()])
    done = TextAreaField(_l("What was done"), validators=[DataRequired(), Length(max=5000)])
    percent = IntegerField(_l("Percentage of the target reached"),
                           validators=[Optional(), NumberRange(0, 100, message=_l("Between 0 and 100."))])
    milestone = StringField(_l("Milestone reached"), validators=[Length(max=300)])
    evidence = TextAreaField(_l("Evidence"), validators=[Length(max=5000)])
    attachment = FileField(_l("Attached evidence (PDF, PNG or JPEG, optional)"),
                           validators=[FileAllowed(["pdf", "png", "jpg", "jpeg"], _l("A PDF, PNG or JPEG file, please."))])

    def validate_milestone(self, field):
        if self.percent.data is None and not (field.data or "").strip():
            raise ValidationError(_l("Give a percentage or a milestone."))


class StatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=lambda: choices((s, LABELS["commitment_status"][s]) for s in STATUSES))
    reason = TextAreaField(_l("Reason (shown to the public)"), validators=[Length(max=2000)])


class ReviewForm(FlaskForm):
    decision = SelectField(_l("Decision"), choices=lambda: choices([("approved", _l("Approve: the public sees it")),
                                                                    ("rejected", _l("Reject"))]))
    note = TextAreaField(_l("Note to the author"), validators=[Length(max=2000)])


class SendBackForm(FlaskForm):
    note = TextAreaField(_l("What to change"), validators=[Length(max=2000)])


class CommitmentImportForm(FlaskForm):
    file = upload_field(_l("Commitments file (CSV or XLSX)"), ("csv", "xlsx"), _l("A .csv or .xlsx file, please."))


class ImportConfirmForm(FlaskForm):
    publish = BooleanField(_l("Publish them at once (otherwise they wait as drafts)"))
