"""The access-code form; the questionnaire itself is validated by `ballots.validation`."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class CodeForm(FlaskForm):
    code = StringField(_l("Access code"), validators=[DataRequired(_l("Please type the code from your slip.")),
                                                      Length(max=40)],
                       render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false",
                                  "class": "code-input", "placeholder": "XXXX-XXXX-XX"})
