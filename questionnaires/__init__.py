"""Questionnaires of the appraisal platform: the schema, YAML load/validate/dump, templates.

Pure Python (PyYAML only): no Flask, SQLAlchemy, Babel, numpy or ``scoring`` here, so the
web app, the CLI and the scoring tools can all use it. The format is documented in
``docs/questionnaire-format.md``.
"""
from .builtin import template, template_kinds
from .method import FUNNEL_ALERTS, method_for
from .problems import PROBLEM_CODES, Problem, QuestionnaireInvalid
from .schema import (FORMAT_VERSION, ITEM_TYPES, KINDS, PLACEHOLDER, SECTION_KINDS, SOURCES, Choice, Dimension, Item,
                     Questionnaire, Scale, ScaleOption, Section, Text)
from .yaml_io import dump, from_dict, load, loads, to_dict

__all__ = [
    "Questionnaire", "Scale", "ScaleOption", "Dimension", "Section", "Item", "Choice",
    "Text", "QuestionnaireInvalid", "Problem", "load", "loads", "dump", "from_dict",
    "to_dict", "template", "template_kinds", "method_for", "KINDS", "ITEM_TYPES",
    "FORMAT_VERSION", "PROBLEM_CODES", "FUNNEL_ALERTS", "SECTION_KINDS", "SOURCES", "PLACEHOLDER",
]
