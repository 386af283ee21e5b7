"""Small helpers and forms shared by the feature forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Regexp, ValidationError

from .labels import LABELS


#: what a code (of a campaign, group or target) may be made of
CODE = Regexp(r"^[A-Za-z0-9_.-]{1,64}$", message=_l("Letters, digits, '_', '.' and '-' only (at most 64)."))


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the SelectChoice objects WTForms 3.3 asks for."""
    return [SelectChoice(value, label) for value, label in pairs]


def kind_choices() -> list[SelectChoice]:
    """The appraisal kinds of campaigns and questionnaires, worded as everywhere else."""
    return choices(LABELS["kind"].items())


class ConfirmForm(FlaskForm):
    """A bare form for POST buttons: only its CSRF token matters."""


class TickToConfirmForm(ConfirmForm):
    """A POST button that also wants a box ticked."""
    confirm = BooleanField(_l("Yes, I am sure"), validators=[DataRequired(message=_l("Tick the box to confirm."))])


def upload_field(label, extensions: tuple[str, ...] = (), message=None) -> FileField:
    """The required file of an upload form; `extensions` (with the error `message`) limit the
    file names it takes."""
    validators = [FileRequired()]
    if extensions:
        validators.append(FileAllowed(list(extensions), message))
    return FileField(label, validators=validators)


#: Dates a campaign can sensibly open or close at; beyond them the time-zone arithmetic overflows.
FIRST_YEAR, LAST_YEAR = 2000, 2100


class YearRange:
    """A date or time field's year between FIRST_YEAR and LAST_YEAR, the error beside the field."""

    def __init__(self, first: int = FIRST_YEAR, last: int = LAST_YEAR):
        self.first, self.last = first, last

    def __call__(self, form, field):
        if field.data is not None and not self.first <= field.data.year <= self.last:
            raise ValidationError(_l("Enter a date between the years %(first)d and %(last)d.",
                                     first=self.first, last=self.last))
