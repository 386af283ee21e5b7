"""Small helpers and forms shared by the feature forms."""
from flask import abort, flash, redirect
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

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


def confirmed(action, success: str, done_url: str, refused, errors=(ValueError,)):
    """A POST button: the CSRF-checked `ConfirmForm` (400 without it), then `action()`; on success a
    flash and a redirect to `done_url`, on one of `errors` a flash of its words and `refused()` (the
    page again, with its status)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        action()
    except errors as error:
        flash(str(error), "error")
        return refused()
    flash(success, "success")
    return redirect(done_url)


def form_action(form, action, success: str, done_url: str, refused, on_error, errors=(ValueError,)):
    """A form's POST: when it validates, `action()`, then a flash and a redirect to `done_url`; an
    error of `errors` goes beside the form (`on_error(error)`); an invalid or refused form gives
    `refused()` (the page again, with its status)."""
    if form.validate_on_submit():
        try:
            action()
        except errors as error:
            on_error(error)
        else:
            flash(success, "success")
            return redirect(done_url)
    return refused()


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


class ProgressForm(FlaskForm):
    """A dated progress entry with its evidence (a commitment's or a rectification item's)."""
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

    def entry(self, actor: str, max_bytes: int) -> dict:
        """The keyword arguments of an operation adding the entry; the upload read up to one byte
        past `max_bytes`, so that the operation's check tells a file too big."""
        upload = self.attachment.data
        data = upload.read(max_bytes + 1) if upload else None
        return {"on": self.on.data, "done": self.done.data, "actor": actor, "percent": self.percent.data,
                "milestone": self.milestone.data or "", "evidence": self.evidence.data or "",
                "attachment": data or None, "filename": upload.filename if upload else "", "max_bytes": max_bytes}

    def refused(self, error: Exception) -> None:
        """The operation's refusal beside the attachment when one came, else beside what was done."""
        (self.attachment if self.attachment.data else self.done).errors.append(str(error))


class ReviewForm(FlaskForm):
    """Staff's review of a progress entry."""
    decision = SelectField(_l("Decision"), choices=lambda: choices([("approved", _l("Approve: the public sees it")),
                                                                    ("rejected", _l("Reject"))]))
    note = TextAreaField(_l("Note to the author"), validators=[Length(max=2000)])
