"""Forms of the follow-up pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..formtools import YearRange, choices
from ..labels import LABELS
from ..models.followup import LEADER_STEPS, LEVELS, OUTCOMES, STAFF_STEPS


def _attachment():
    return FileField(_l("Attached document (PDF, PNG or JPEG, optional)"),
                     validators=[FileAllowed(["pdf", "png", "jpg", "jpeg"], _l("A PDF, PNG or JPEG file, please."))])


def _on():
    return DateField(_l("Date"), validators=[DataRequired(message=_l("Enter a date.")), YearRange()])


class NewCaseForm(FlaskForm):
    target = SelectField(_l("Leader or unit"), coerce=int, validate_choice=True)
    level = SelectField(_l("Alert"), choices=lambda: choices((c, LABELS["alert"][c]) for c in LEVELS))
    note = TextAreaField(_l("Why the case is opened"), validators=[DataRequired(), Length(max=5000)])
    names_no_informant = BooleanField(
        _l("The note rests on results and names no informant (reports about a person go to the commission's own case system)"),
        validators=[DataRequired(message=_l("Tick the box to confirm."))])


class StepForm(FlaskForm):
    """A measure staff record: a reminder talk, a letter of inquiry or an admonishing talk."""
    kind = SelectField(_l("Measure"), choices=lambda: choices((k, LABELS["case_step"][k]) for k in STAFF_STEPS))
    on = _on()
    held_by = StringField(_l("Held or signed by"), validators=[Length(max=200)])
    place = StringField(_l("Place (admonishing talk)"), validators=[Length(max=200)])
    text = TextAreaField(_l("What was said or asked"), validators=[Length(max=5000)])
    attachment = _attachment()


class AnswerForm(FlaskForm):
    """The leader's reply to a letter, or the self-correction report."""
    kind = SelectField(_l("What you file"), choices=lambda: choices((k, LABELS["case_step"][k]) for k in LEADER_STEPS))
    letter = SelectField(_l("Letter answered"), coerce=int, validate_choice=False)
    on = _on()
    text = TextAreaField(_l("Your answer or report"), validators=[DataRequired(), Length(max=20000)])
    attachment = _attachment()


class CloseForm(FlaskForm):
    outcome = SelectField(_l("Outcome of the case"), choices=lambda: choices((o, LABELS["case_outcome"][o]) for o in OUTCOMES))
    note = TextAreaField(_l("How the case ended"), validators=[DataRequired(), Length(max=5000)])
