"""Forms of the reports and the commission's dashboard."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField
from wtforms.validators import NumberRange, Optional

from ..formtools import choices


class ModerateForm(FlaskForm):
    """Publish or hide one comment (the CSRF token comes with it)."""
    status = SelectField(_l("Decision"), choices=choices([("published", _l("Publish")), ("hidden", _l("Hide")),
                                                          ("pending", _l("Back to pending"))]))


class CommentFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Show"), default="pending", choices=choices(
        [("pending", _l("Pending")), ("published", _l("Published")), ("hidden", _l("Hidden"))]))
    #: a target's id, or 0 for every target (and the general comments)
    target = SelectField(_l("Target"), coerce=int, default=0, validate_choice=True)
    page = IntegerField(default=1, validators=[Optional(), NumberRange(1, 1_000_000)])


class BulkModerateForm(FlaskForm):
    """Publish or hide the ticked comments (their ids come as a list named `comment`)."""
    status = SelectField(_l("Decision"), choices=choices([("published", _l("Publish")), ("hidden", _l("Hide"))]))
