"""Forms of the rectification ledger's pages (the progress and review forms are shared: `formtools`)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..formtools import CODE, ProgressForm, ReviewForm, YearRange, choices  # noqa: F401 (the pages' forms)


class PlanForm(FlaskForm):
    measures_zh = TextAreaField(_l("Measures (Chinese)"), validators=[Length(max=5000)])
    measures_en = TextAreaField(_l("Measures (English)"), validators=[Length(max=5000)])
    responsible = StringField(_l("Responsible person"), validators=[Length(max=200)])
    deadline = DateField(_l("Deadline"), validators=[Optional(), YearRange()])


class ItemForm(PlanForm):
    origin = SelectField(_l("What the problem rests on"), validate_choice=True)
    problem_zh = TextAreaField(_l("Problem (Chinese)"), validators=[DataRequired(), Length(max=5000)])
    problem_en = TextAreaField(_l("Problem (English)"), validators=[Length(max=5000)])


class CheckForm(FlaskForm):
    outcome = SelectField(_l("Closing check"), choices=lambda: choices([
        ("closed", _l("Rectified: close the item")), ("not_accepted", _l("Not accepted: work on it again"))]))
    reason = TextAreaField(_l("Reason (needed when not accepted)"), validators=[Length(max=2000)])


class SendBackForm(FlaskForm):
    note = TextAreaField(_l("What to change"), validators=[Length(max=2000)])


class PublicForm(FlaskForm):
    public = BooleanField(_l("Show this campaign's ledger (problems, measures, statuses) on a public page"))


class ReviewCampaignForm(FlaskForm):
    code = StringField(_l("Code of the review campaign"), validators=[DataRequired(), CODE])
