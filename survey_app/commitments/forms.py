"""Forms of the commitments pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..formtools import ProgressForm, ReviewForm, YearRange, choices, upload_field  # noqa: F401 (the pages' forms)
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


class StatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=lambda: choices((s, LABELS["commitment_status"][s]) for s in STATUSES))
    reason = TextAreaField(_l("Reason (shown to the public)"), validators=[Length(max=2000)])


class SendBackForm(FlaskForm):
    note = TextAreaField(_l("What to change"), validators=[Length(max=2000)])


class CommitmentImportForm(FlaskForm):
    file = upload_field(_l("Commitments file (CSV or XLSX)"), ("csv", "xlsx"), _l("A .csv or .xlsx file, please."))


class ImportConfirmForm(FlaskForm):
    publish = BooleanField(_l("Publish them at once (otherwise they wait as drafts)"))
