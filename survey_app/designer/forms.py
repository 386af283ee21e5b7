"""Forms of the designer. Fields carry only length limits: every rule of the questionnaire format
is checked by ``questionnaires.from_dict`` on the whole edited definition, in one place."""
import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from ..formtools import choices, kind_choices, upload_field

TEXT = [Length(max=2000)]
LONG_TEXT = [Length(max=20000)]


def in_both_languages(field, zh_label, en_label, validators):
    """A text of the questionnaire as two fields: (Chinese, English)."""
    return field(zh_label, validators=validators), field(en_label, validators=validators)


def type_choices():
    return choices([("rating", _l("Rating on the scale (scored)")), ("single", _l("Single choice")),
                    ("multiple", _l("Multiple choice")), ("text", _l("Free text"))])


class StartForm(FlaskForm):
    source = RadioField(_l("Start from"), default="template", choices=choices([
        ("template", _l("A built-in template")), ("copy", _l("A copy of an existing questionnaire")),
        ("blank", _l("A blank questionnaire"))]))
    kind = SelectField(_l("Template"), choices=kind_choices, validate_choice=False)
    copy_of = SelectField(_l("Questionnaire to copy"), coerce=int, validators=[Optional()], validate_choice=False)
    code = StringField(_l("Code of the new questionnaire"), validators=[Length(max=64)])


class ImportForm(FlaskForm):
    """A questionnaire file to store, on the designer's pages and the commission's list alike."""
    file = upload_field(_l("Questionnaire file (YAML)"), ("yaml", "yml"), _l("A .yaml file, please."))
    publish = BooleanField(_l("Publish at once (freezes this version)"))


class HeaderForm(FlaskForm):
    code = StringField(_l("Code"), validators=[Length(max=64)])
    kind = SelectField(_l("Kind"), choices=kind_choices, validate_choice=False)
    title_zh, title_en = in_both_languages(StringField, _l("Title (Chinese)"), _l("Title (English)"), TEXT)
    intro_zh, intro_en = in_both_languages(TextAreaField, _l("Introduction (Chinese)"), _l("Introduction (English)"),
                                           LONG_TEXT)
    closing_zh, closing_en = in_both_languages(TextAreaField, _l("Closing words (Chinese)"),
                                               _l("Closing words (English)"), LONG_TEXT)


class SectionForm(FlaskForm):
    code = StringField(_l("Section code"), validators=[Length(max=64)])
    title_zh, title_en = in_both_languages(StringField, _l("Section title (Chinese)"), _l("Section title (English)"),
                                           TEXT)


class ItemForm(FlaskForm):
    code = StringField(_l("Question code"), validators=[Length(max=64)])
    type = SelectField(_l("Type"), choices=type_choices, validate_choice=False)
    text_zh, text_en = in_both_languages(TextAreaField, _l("Question (Chinese)"), _l("Question (English)"), TEXT)
    dimension = SelectField(_l("Dimension (rating questions)"), validate_choice=False)
    weight = StringField(_l("Weight within the dimension (rating questions)"), default="1",
                         validators=[Length(max=30)])
    required = BooleanField(_l("An answer is required"), default=True)
    per_target = BooleanField(_l("Asked for each target (rating questions always are)"), default=True)
    groups = StringField(_l("Only for these respondent groups (codes, comma-separated; empty = everyone)"),
                         validators=[Length(max=500)])
    max_length = StringField(_l("Longest answer in characters (free text; empty = the platform's limit)"),
                             validators=[Length(max=30)])


#: the columns of each table of rows edited on one form
SCALE_ROW = ("code", "label_zh", "label_en", "points", "cls")
DIMENSION_ROW = ("code", "name_zh", "name_en", "weight")
CHOICE_ROW = ("code", "label_zh", "label_en")


def read_rows(formdata, prefix: str, keys: tuple[str, ...]) -> list[dict]:
    """The rows ``<prefix>-<i>-<key>`` of a table form, in order, without blank and removed rows,
    after the row button pressed (``row_action`` = ``up:<prefix>:<i>``, ``down:…``, ``remove:…``)."""
    indexes = sorted({int(m.group(1)) for name in formdata
                      if (m := re.fullmatch(rf"{re.escape(prefix)}-(\d+)-\w+", name))})
    action, _, rest = (formdata.get("row_action") or "").partition(":")
    target_prefix, _, index = rest.partition(":")
    pressed = int(index) if target_prefix == prefix and index.isdigit() else None
    rows, pressed_position = [], None
    for i in indexes:
        row = {key: (formdata.get(f"{prefix}-{i}-{key}") or "").strip() for key in keys}
        if formdata.get(f"{prefix}-{i}-remove") or (action == "remove" and pressed == i):
            continue
        if not any(v for k, v in row.items() if k != "cls"):
            continue
        if pressed == i:
            pressed_position = len(rows)
        rows.append(row)
    if pressed_position is not None and action in ("up", "down"):
        j = pressed_position + (-1 if action == "up" else 1)
        if 0 <= j < len(rows):
            rows[pressed_position], rows[j] = rows[j], rows[pressed_position]
    return rows


def number(text: str, default=None):
    """A number typed in a form; blank gives ``default``; anything else stays text, so that
    validation names the field (``bad_type``) instead of guessing."""
    text = (text or "").strip().replace("，", ",")
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() else value


def whole_number(text: str):
    text = (text or "").strip()
    if not text:
        return None
    return int(text) if re.fullmatch(r"-?\d{1,9}", text) else text


def code_list(text: str) -> list[str]:
    return [part for part in re.split(r"[\s,，;；]+", text or "") if part]
