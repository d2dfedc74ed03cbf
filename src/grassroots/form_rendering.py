"""Django's form templates that every page renders, written in Python: the same markup, without
a template render per label, widget, option and error list.

Django draws each label, input, select, option and error list of a form through its own
template engine (`django/forms/...html`, with an `attrs.html` inside each): a unit page rendered
about forty such templates, a person page fifty, the audit trail's filter form a hundred and
seventy (one per action it can filter by), each a full template render of a few tenths of a
millisecond. `FormRenderer` (settings.FORM_RENDERER) writes the templates named in `WRITERS`
itself, character for character as Django's templates would (escaping and localizing values as
a template does; tests/web/test_form_rendering.py compares the two on every kind of field the
forms use), and hands any other template to Django's. A widget whose options use another
template than Django's `select_option.html` is also handed back.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import django.forms
from django.forms.renderers import DjangoTemplates
from django.template.base import render_value_in_context
from django.template.context import Context
from django.utils.html import escape
from django.utils.safestring import SafeData, SafeString, mark_safe

# A context with Django's defaults (autoescape, localize, time zone), for `render_value_in_context`.
_CONTEXT = Context()


def _value(value) -> str:
    """`{{ value }}` in a template: localized, in the current time zone, escaped unless safe."""
    return render_value_in_context(value, _CONTEXT)


def _as_string(value) -> str:
    """`{{ value|stringformat:'s' }}`: "%s" of the value (no localizing), escaped unless it was safe."""
    try:
        text = "%s" % (str(value) if isinstance(value, tuple) else value)
    except (ValueError, TypeError):
        text = ""
    return mark_safe(text) if isinstance(value, SafeData) else escape(text)


def _attrs(attrs) -> str:
    """`attrs.html`: ` name="value"` for each attribute in order, ` name` for True, nothing for False."""
    if not attrs:
        return ""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {_value(name)}" if value is True else f' {_value(name)}="{_as_string(value)}"')
    return "".join(parts)


def _input(widget: dict) -> str:
    """`widgets/input.html` (text, date, email, number, checkbox and the other single inputs)."""
    value = f' value="{_as_string(widget["value"])}"' if widget["value"] != None else ""  # noqa: E711 (as the template compares)
    return f'<input type="{_value(widget["type"])}" name="{_value(widget["name"])}"{value}{_attrs(widget["attrs"])}>'


def _option(option: dict) -> str:
    """`widgets/select_option.html`, as `select.html` includes it (the included file ends in a newline)."""
    return (
        f'<option value="{_as_string(option["value"])}"{_attrs(option["attrs"])}>{_value(option["label"])}</option>\n'
    )


OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def _select(widget: dict) -> str | None:
    """`widgets/select.html`; None when an option has a template of its own."""
    parts = [f'<select name="{_value(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_value(group_name)}">')
        for option in group_choices:
            if option["template_name"] != OPTION_TEMPLATE:
                return None
            parts.append(f"\n  {_option(option)}")
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _textarea(widget: dict) -> str:
    """`widgets/textarea.html`."""
    value = _value(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{_value(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


def _label(context: dict) -> str:
    """`label.html`: the label in its tag (`<label for=...>`, `<legend>`), or alone when the field has no id."""
    if not context["use_tag"]:
        return _value(context["label"])
    tag = _value(context["tag"])
    return f"<{tag}{_attrs(context['attrs'])}>{_value(context['label'])}</{tag}>"


def _errors(context: dict) -> str:
    """`errors/list/ul.html` (and `default.html`, which includes it)."""
    errors = context["errors"]
    if not errors:
        return ""
    field_id = getattr(errors, "field_id", None)
    identity = f' id="{_value(field_id)}_error"' if field_id else ""
    items = "".join(f"<li>{_value(error)}</li>" for error in errors)
    return f'<ul class="{_value(context["error_class"])}"{identity}>{items}</ul>'


def _field(context: dict) -> str:
    """`field.html`: a field's label (or legend), help text, errors and widget, as `as_field_group` gives it."""
    field = context["field"]
    fieldset = field.use_fieldset
    if fieldset:
        described = field.aria_describedby
        described = f' aria-describedby="{_value(described)}"' if described else ""
        head = f"\n  <fieldset{described}>\n  {_value(field.legend_tag()) if field.label else ''}\n"
    else:
        head = f"\n  {_value(field.label_tag()) if field.label else ''}\n"
    help_text = ""
    if field.help_text:
        identity = f' id="{_value(field.auto_id)}_helptext"' if field.auto_id else ""
        help_text = f'<div class="helptext"{identity}>{_value(mark_safe(field.help_text))}</div>'
    return f"{head}\n{help_text}\n{_value(field.errors)}\n{_value(field)}{'</fieldset>' if fieldset else ''}\n"


def _widget(write: Callable[[dict], str | None]) -> Callable[[dict], str | None]:
    return lambda context: write(context["widget"])


_WIDGETS = Path(django.forms.__file__).parent / "templates" / "django" / "forms" / "widgets"
_INCLUDES_INPUT = '{% include "django/forms/widgets/input.html" %}'

# Django's form templates this module writes, by name. The single inputs are the widget templates
# that only include input.html (read from Django's own files, so a change there falls back to them).
WRITERS: dict[str, Callable[[dict], str | None]] = {
    **{
        f"django/forms/widgets/{path.name}": _widget(_input)
        for path in sorted(_WIDGETS.glob("*.html"))
        if path.read_text().strip() == _INCLUDES_INPUT
    },
    "django/forms/widgets/input.html": _widget(_input),
    "django/forms/widgets/select.html": _widget(_select),
    "django/forms/widgets/textarea.html": _widget(_textarea),
    "django/forms/label.html": _label,
    "django/forms/errors/list/default.html": _errors,
    "django/forms/errors/list/ul.html": _errors,
    "django/forms/field.html": _field,
}


class FormRenderer(DjangoTemplates):
    """Django's form renderer, with the templates of `WRITERS` written in Python."""

    def render(self, template_name, context, request=None):
        write = WRITERS.get(template_name)
        written = write(context) if write is not None else None
        if written is None:
            return super().render(template_name, context, request)
        # As Django's renderer does with a template's output.
        return SafeString(written.strip())
