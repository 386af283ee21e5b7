"""Small helpers shared by the feature forms."""
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the SelectChoice objects WTForms 3.3 asks for."""
    return [SelectChoice(value, label) for value, label in pairs]


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
