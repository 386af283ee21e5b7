"""Designer views: load the version, build the edited definition from the form, call operations.apply.

Each action is a small POST form. Its submitted values become a new definition dictionary
(`mapping`), which ``operations.apply`` validates as a whole; when that fails, the page is shown
again with the submitted values and every problem placed next to the field it concerns.
"""
import questionnaires
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..ballots.validation import asked, field_name
from ..extensions import db
from ..formtools import ConfirmForm, choices
from ..i18n import current_language
from ..models import QuestionnaireVersion
from . import mapping, operations
from .forms import (CHOICE_ROW, DIMENSION_ROW, SCALE_ROW, HeaderForm, ImportForm, ItemForm, SectionForm, StartForm,
                    read_rows)
from .mapping import LANGS
from .problems import FieldErrors, message, parse_upload


# -- loading ------------------------------------------------------------------------------------

def load_version(version_id: int) -> QuestionnaireVersion:
    version = db.session.get(QuestionnaireVersion, version_id)
    if version is None:
        abort(404)
    return version


def _found(index):
    """The place of a section or an item that the URL names; 404 when there is none."""
    if index is None:
        abort(404)
    return index


def _copy_choices():
    return choices([(v.id, f"{r.code} v{v.number}") for r in operations.all_questionnaires() for v in r.versions])


def _saved(version: QuestionnaireVersion, saved: QuestionnaireVersion, anchor: str | None = None):
    if saved is not version:
        flash(_("Version %(old)d is published and stays as it is; your change is saved as the new draft "
                "version %(new)d.", old=version.number, new=saved.number), "success")
    else:
        flash(_("Saved."), "success")
    return redirect(url_for("designer.edit", version_id=saved.id, _anchor=anchor))


def _store(version: QuestionnaireVersion, definition: dict):
    """Apply the edit: (saved version, None) or (None, problems-or-message)."""
    try:
        return operations.apply(version, definition), None
    except questionnaires.QuestionnaireInvalid as invalid:
        return None, invalid.problems
    except operations.DesignerError as refusal:
        return None, str(refusal)


def _errors(outcome, prefix: list, place) -> FieldErrors:
    if isinstance(outcome, str):
        errors = FieldErrors([], prefix, place)
        errors.general.append(outcome)
        return errors
    return FieldErrors(outcome, prefix, place)


def _page(template: str, version: QuestionnaireVersion, status: int = 200, **context):
    return render_template(template, version=version, q=version.parsed, locale=current_language(),
                           confirm=ConfirmForm(), **context), status


# -- list, start, import ------------------------------------------------------------------------

def index(start_form=None, import_form=None, import_problems=None, status=200):
    records = operations.all_questionnaires()
    start_form = start_form or StartForm()
    start_form.copy_of.choices = _copy_choices()
    return render_template("designer/index.html", records=records, start=start_form,
                           upload=import_form or ImportForm(), problems=import_problems,
                           campaigns={r.id: operations.campaigns_by_version(r) for r in records},
                           locale=current_language()), status


def start():
    form = StartForm()
    form.copy_of.choices = _copy_choices()
    if not form.validate_on_submit():
        return index(start_form=form, status=400)
    code = (form.code.data or "").strip()
    source = form.source.data
    original = db.session.get(QuestionnaireVersion, form.copy_of.data) if form.copy_of.data else None
    if not code:
        form.code.errors.append(_("Give the new questionnaire a code."))
    elif source == "template" and form.kind.data not in questionnaires.template_kinds():
        form.kind.errors.append(_("Choose a template."))
    elif source == "copy" and original is None:
        form.copy_of.errors.append(_("Choose the questionnaire to copy."))
    elif operations.code_taken(code):
        form.code.errors.append(_("A questionnaire with the code %(code)s exists already.", code=code))
    else:
        definition = operations.starting_definition(source, code, kind=form.kind.data, version=original)
        try:
            version = operations.start(definition)
        except questionnaires.QuestionnaireInvalid as invalid:
            form.code.errors.extend(message(p) for p in invalid.problems)
        except operations.DesignerError as refusal:
            form.code.errors.append(str(refusal))
        else:
            flash(_("Questionnaire %(code)s created as draft version 1.", code=code), "success")
            return redirect(url_for("designer.edit", version_id=version.id))
    return index(start_form=form, status=400)


def read_upload(form: ImportForm):
    """The questionnaire of a submitted file, or None and the problems that kept it out, each with
    its line (None when the form itself was refused)."""
    if not form.validate_on_submit():
        return None, None
    return parse_upload(form.file.data.read())


def import_yaml():
    form = ImportForm()
    q, problems = read_upload(form)
    if q is not None:
        version = operations.save_questionnaire(q, publish=form.publish.data)
        flash(_("Questionnaire %(code)s saved as version %(n)d.", code=q.code, n=version.number), "success")
        return redirect(url_for("designer.edit", version_id=version.id))
    return index(import_form=form, import_problems=problems, status=400)


# -- the questionnaire library: every version, upload, the read-only version page ------------------

def library(upload=None, problems=None, status=200):
    return render_template("designer/questionnaires.html", records=operations.all_questionnaires(),
                           upload=upload or ImportForm(), locale=current_language(), problems=problems), status


def upload():
    form = ImportForm()
    q, problems = read_upload(form)
    if q is not None:
        existing = operations.by_code(q.code)
        version = operations.save_questionnaire(q, publish=form.publish.data)
        flash(_("Questionnaire %(code)s saved as version %(n)d.", code=q.code, n=version.number)
              if existing is None or version.number > 1 else
              _("Questionnaire %(code)s saved.", code=q.code), "success")
        return redirect(url_for("designer.version", version_id=version.id))
    return library(form, problems, 400)


def version(version_id: int):
    shown = load_version(version_id)
    return render_template("designer/version.html", version=shown, q=shown.parsed, confirm=ConfirmForm(),
                           locale=current_language())


def version_yaml(version_id: int):
    filename, text = operations.export_yaml(load_version(version_id))
    return current_app.response_class(text, mimetype="application/x-yaml", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


def version_publish(version_id: int):
    return publish(version_id, back="designer.version")


# -- the overview -------------------------------------------------------------------------------

def edit(version_id: int, action_errors=None, status=200):
    version = load_version(version_id)
    record = version.questionnaire
    return _page("designer/edit.html", version, status, record=record, action_errors=action_errors or {},
                 campaigns=operations.campaigns_by_version(record), ballots=operations.ballot_counts(record),
                 upload=ImportForm())


def preview(version_id: int):
    version = load_version(version_id)
    q = version.parsed
    lang = request.args.get("lang")
    locale = lang if lang in LANGS else current_language()
    groups = sorted({g for item in q.items() for g in (item.groups or ())})
    group = request.args.get("group")
    group = group if group in groups else None
    return render_template("designer/preview.html", version=version, q=q, locale=locale, groups=groups,
                           group=group, lang=lang, asked=asked(q, group, ["example"]),
                           field_name=field_name, values={}, errors={})


def structure(version_id: int):
    """Move or delete a section or an item (buttons on the overview)."""
    version = load_version(version_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    what, code, action = request.form.get("what"), request.form.get("code", ""), request.form.get("action")
    definition = version.definition
    if what == "item" and operations.find_item(definition, code) is not None:
        change = {"up": operations.move_item, "down": operations.move_item}.get(action)
        new = (operations.delete_item(definition, code) if action == "delete"
               else change(definition, code, action) if change else None)
    elif what == "section" and operations.find_section(definition, code) is not None:
        new = (operations.delete_section(definition, code) if action == "delete"
               else operations.move_section(definition, code, action) if action in ("up", "down") else None)
    else:
        abort(404)
    if new is None:
        abort(400)
    saved, outcome = _store(version, new)
    if saved is not None:
        return _saved(version, saved, anchor=f"{what}-{code}" if action != "delete" else None)
    if isinstance(outcome, str):
        texts = [outcome]
    else:
        texts = [message(p) for p in outcome]
        if action == "delete":
            texts.insert(0, _("This cannot be deleted: the questionnaire would no longer be valid. Nothing was changed."))
    return edit(version_id, action_errors={f"{what}-{code}": texts}, status=400)


def publish(version_id: int, back: str = "designer.edit"):
    """Freeze a draft, then show the page `back` names (the library's read-only version page has its own)."""
    version = load_version(version_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    operations.publish_version(version)
    flash(_("Version %(n)d is published and can no longer change.", n=version.number), "success")
    return redirect(url_for(back, version_id=version.id))


def new_draft(version_id: int):
    version = load_version(version_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        draft = operations.new_draft(version)
    except operations.DesignerError as refusal:
        flash(str(refusal), "error")
        return redirect(url_for("designer.edit", version_id=version.id))
    flash(_("Draft version %(n)d is ready to edit.", n=draft.number), "success")
    return redirect(url_for("designer.edit", version_id=draft.id))


# -- the header ---------------------------------------------------------------------------------

def header(version_id: int):
    version = load_version(version_id)
    d = version.definition
    form = HeaderForm(data=None if request.method == "POST" else mapping.header_data(d))
    code_fixed = bool(version.questionnaire.published_versions)
    errors = None
    if form.validate_on_submit():
        saved, outcome = _store(version, mapping.with_header(d, form, code_fixed))
        if saved is not None:
            return _saved(version, saved)
        errors = _errors(outcome, [], mapping.header_place)
    if code_fixed:
        form.code.data = d["code"]
    return _page("designer/header.html", version, 400 if errors or form.errors else 200, form=form,
                 errors=errors or FieldErrors([], [], mapping.header_place), code_fixed=code_fixed)


# -- the scale and the dimensions: tables of rows -------------------------------------------------

def scale(version_id: int):
    version = load_version(version_id)
    rows = mapping.scale_rows(version.definition["scale"])
    errors = FieldErrors([], ["scale"], lambda rest, p: None)
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        rows = read_rows(request.form, "opt", SCALE_ROW)
        saved, outcome = _store(version, mapping.with_scale(version.definition, rows))
        if saved is not None:
            return _saved(version, saved, anchor="scale")
        errors = _errors(outcome, ["scale"], mapping.scale_place(rows))
    return _page("designer/scale.html", version, 400 if errors else 200, rows=rows + [dict.fromkeys(SCALE_ROW, "")],
                 errors=errors)


def dimensions(version_id: int):
    version = load_version(version_id)
    rows = mapping.dimension_rows(version.definition["dimensions"])
    errors = FieldErrors([], ["dimensions"], lambda rest, p: None)
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        rows = read_rows(request.form, "dim", DIMENSION_ROW)
        saved, outcome = _store(version, mapping.with_dimensions(version.definition, rows))
        if saved is not None:
            return _saved(version, saved, anchor="dimensions")
        errors = _errors(outcome, ["dimensions"], mapping.dimension_place)
    return _page("designer/dimensions.html", version, 400 if errors else 200,
                 rows=rows + [dict.fromkeys(DIMENSION_ROW, "")], errors=errors)


# -- sections -----------------------------------------------------------------------------------

def section(version_id: int, section_code: str):
    version = load_version(version_id)
    d = version.definition
    s = _found(operations.find_section(d, section_code))
    current = d["sections"][s]
    form = SectionForm(data=None if request.method == "POST" else mapping.section_data(current))
    errors = FieldErrors([], [], lambda rest, p: None)
    if form.validate_on_submit():
        new = mapping.with_section(d, s, form)
        saved, outcome = _store(version, new)
        if saved is not None:
            return _saved(version, saved, anchor=f"section-{new['sections'][s]['code']}")
        errors = _errors(outcome, ["sections", s], lambda rest, p: mapping.section_place(rest, p, None))
    return _page("designer/section.html", version, 400 if errors or form.errors else 200, form=form,
                 item_form=None, errors=errors, section=current)


def section_new(version_id: int):
    """A new section comes with its first question: a section may never be empty."""
    version = load_version(version_id)
    d = version.definition
    form = SectionForm(data=None if request.method == "POST" else {"code": mapping.free_code(d, "s")})
    item_form = _item_form(d, None, prefix="item")
    errors = FieldErrors([], [], lambda rest, p: None)
    if form.validate_on_submit() and item_form.validate():
        new = mapping.with_new_section(d, form, _item_from_form(item_form, "item"))
        saved, outcome = _store(version, new)
        if saved is not None:
            return _saved(version, saved, anchor=f"section-{new['sections'][-1]['code']}")
        errors = _errors(outcome, ["sections", len(new["sections"]) - 1], mapping.section_place)
    _item_choices_rows(item_form, None, "item")
    return _page("designer/section.html", version, 400 if errors or form.errors else 200, form=form,
                 item_form=item_form, errors=errors, section=None)


# -- items --------------------------------------------------------------------------------------

def _item_form(d: dict, item: dict | None, prefix: str = "") -> ItemForm:
    kwargs = {"prefix": prefix, "meta": {"csrf": False}} if prefix else {}
    form = ItemForm(**kwargs) if request.method == "POST" else ItemForm(data=mapping.item_data(d, item), **kwargs)
    form.dimension.choices = choices(mapping.dimension_choices(d))
    return form


def _item_choices_rows(form: ItemForm, item: dict | None, prefix: str = ""):
    if request.method == "POST":
        form.choice_rows = read_rows(request.form, f"{prefix}ch" if not prefix else f"{prefix}-ch", CHOICE_ROW)
    else:
        form.choice_rows = mapping.choice_rows(item)
    form.blank_rows = 2 if len(form.choice_rows) < 2 else 1
    return form.choice_rows


def _item_from_form(form: ItemForm, prefix: str = "") -> dict:
    return mapping.item_from_form(form, read_rows(request.form, f"{prefix}-ch" if prefix else "ch", CHOICE_ROW))


def item(version_id: int, item_code: str):
    version = load_version(version_id)
    d = version.definition
    s, i = _found(operations.find_item(d, item_code))
    current = d["sections"][s]["items"][i]
    form = _item_form(d, current)
    errors = FieldErrors([], [], lambda rest, p: None)
    if form.validate_on_submit():
        new = mapping.with_item(d, s, i, _item_from_form(form))
        saved, outcome = _store(version, new)
        if saved is not None:
            return _saved(version, saved, anchor=f"item-{new['sections'][s]['items'][i]['code']}")
        errors = _errors(outcome, ["sections", s, "items", i], mapping.item_place)
    _item_choices_rows(form, current)
    return _page("designer/item.html", version, 400 if errors or form.errors else 200, form=form, errors=errors,
                 item=current, section=d["sections"][s])


def item_new(version_id: int, section_code: str):
    version = load_version(version_id)
    d = version.definition
    s = _found(operations.find_section(d, section_code))
    form = _item_form(d, None)
    errors = FieldErrors([], [], lambda rest, p: None)
    if form.validate_on_submit():
        new = mapping.with_item(d, s, None, _item_from_form(form))
        saved, outcome = _store(version, new)
        if saved is not None:
            return _saved(version, saved, anchor=f"item-{new['sections'][s]['items'][-1]['code']}")
        added = len(new["sections"][s]["items"]) - 1
        errors = _errors(outcome, ["sections", s, "items", added], mapping.item_place)
    _item_choices_rows(form, None)
    return _page("designer/item.html", version, 400 if errors or form.errors else 200, form=form, errors=errors,
                 item=None, section=d["sections"][s])
