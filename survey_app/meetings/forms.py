"""The form a committee's secretary sets a decision meeting up with."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, FieldList, Form, FormField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..formtools import CODE, YearRange, choices
from ..labels import LABELS
from .operations import MAX_MATTERS, MAX_MEMBERS


def _text(value) -> str:
    return (value or "").strip()


class MatterForm(Form):
    """One matter put to the vote; a row left empty is no matter."""
    name_zh = StringField(_l("Matter (Chinese)"), validators=[Length(max=200)], filters=[_text])
    name_en = StringField(_l("Matter (English)"), validators=[Length(max=200)], filters=[_text])
    kind = SelectField(_l("Kind of matter"), default="ordinary",
                       choices=lambda: choices(LABELS["matter_kind"].items()))


class MeetingForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), CODE])
    title_zh = StringField(_l("Title (Chinese)"), validators=[DataRequired(), Length(max=300)])
    title_en = StringField(_l("Title (English)"), validators=[DataRequired(), Length(max=300)])
    body_zh = StringField(_l("Deciding body (Chinese)"), validators=[DataRequired(), Length(max=200)])
    body_en = StringField(_l("Deciding body (English)"), validators=[Length(max=200)])
    members = IntegerField(_l("Members of the body (N)"), validators=[
        DataRequired(), NumberRange(1, MAX_MEMBERS)])
    member_names = TextAreaField(_l("Members' names, one a line (optional)"), validators=[Length(max=20_000)])
    quorum = SelectField(_l("Quorum"), default="more_than_half", choices=lambda: choices(LABELS["quorum"].items()))
    personnel_quorum = SelectField(_l("Quorum for personnel matters"), default="two_thirds",
                                   choices=lambda: choices(LABELS["quorum"].items()))
    opens_at = DateTimeLocalField(_l("Voting opens at (Beijing time)"), validators=[Optional(), YearRange()],
                                  format="%Y-%m-%dT%H:%M")
    closes_at = DateTimeLocalField(_l("Voting closes at (Beijing time)"), validators=[Optional(), YearRange()],
                                   format="%Y-%m-%dT%H:%M")
    matters = FieldList(FormField(MatterForm), min_entries=1, max_entries=MAX_MATTERS)

    def names(self) -> list[str] | None:
        names = [line.strip() for line in (self.member_names.data or "").splitlines() if line.strip()]
        return names or None

    def validate_member_names(self, field):
        names = self.names()
        if names is None:
            return
        if len({n.casefold() for n in names}) != len(names):
            raise ValidationError(_l("A name is given twice."))
        if self.members.data is not None and len(names) != self.members.data:
            raise ValidationError(_l("%(names)d names are given for %(n)d members: name every member or none.",
                                     names=len(names), n=self.members.data))

    def validate_closes_at(self, field):
        if field.data and self.opens_at.data and field.data <= self.opens_at.data:
            raise ValidationError(_l("The campaign must close after it opens."))

    def validate_matters(self, field):
        filled = [e.form for e in field.entries if e.form.name_zh.data.strip() or e.form.name_en.data.strip()]
        if not filled:
            raise ValidationError(_l("Put at least one matter to the vote."))
        for row in filled:
            if not row.name_zh.data.strip():
                row.name_zh.errors = list(row.name_zh.errors) + [_l("Every matter needs its name in Chinese.")]
                raise ValidationError(_l("Every matter needs its name in Chinese."))
