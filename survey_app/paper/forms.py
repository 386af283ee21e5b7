"""Forms of the paper-ballot pages; the letter rows of a sheet are read by `letters.parse_keyed`."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from ..formtools import upload_field
from .sheets import MAX_BATCH


class SheetNumberForm(FlaskForm):
    number = StringField(_l("Sheet number"), validators=[DataRequired(), Length(max=100)])


class EntryForm(FlaskForm):
    """CSRF and the spoiled flag; the rows are dynamic fields named after the layout's keys."""
    spoiled = BooleanField(_l("The sheet is spoiled (torn, marked to identify, unreadable)"))


class PrintForm(FlaskForm):
    group = SelectField(_l("Respondent group"), coerce=int, validate_choice=True)
    count = IntegerField(_l("Number of sheets"), default=50,
                         validators=[DataRequired(), NumberRange(1, MAX_BATCH)])


class RulesForm(FlaskForm):
    max_blank_percent = IntegerField(
        _l("A sheet is invalid when more than this percentage of its rating boxes is blank"),
        default=50, validators=[NumberRange(0, 100)])


class ImportForm(FlaskForm):
    file = upload_field(_l("answers.csv"))
