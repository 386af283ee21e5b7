"""Forms of the reports and the commission's dashboard."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

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
