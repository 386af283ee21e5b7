"""Small helpers shared by the feature forms."""
from wtforms.fields.choices import SelectChoice


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the SelectChoice objects WTForms 3.3 asks for."""
    return [SelectChoice(value, label) for value, label in pairs]
