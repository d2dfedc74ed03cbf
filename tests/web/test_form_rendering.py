"""The form renderer writes Django's form templates in Python: the same markup as the templates,
character for character, for every kind of field, widget, label and error the pages use."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.safestring import mark_safe

from grassroots.form_rendering import WRITERS, FormRenderer
from grassroots.web import DayInput


class Everything(forms.Form):
    name = forms.CharField(label="Name <b>", max_length=20, help_text="Your <em>whole</em> name")
    email = forms.EmailField(label="Email", required=False)
    count = forms.IntegerField(label="How many?", required=False, min_value=1)
    share = forms.DecimalField(label="Share", required=False, initial=1234.5)
    on = forms.DateField(label="On", widget=DayInput, initial=dt.date(2026, 3, 9))
    at = forms.DateTimeField(label="At", required=False)
    until = forms.DateField(label="Until", required=False, widget=DayInput)
    secret = forms.CharField(label="Secret", required=False, widget=forms.PasswordInput)
    hidden = forms.CharField(required=False, widget=forms.HiddenInput, initial='a "quoted" & <tagged>')
    agree = forms.BooleanField(label="I agree", required=False)
    kind = forms.ChoiceField(
        label="Kind", choices=[("", "— any —"), ("a", "A & B"), ("b", mark_safe("<i>B</i>")), (3, 4)]
    )
    grouped = forms.ChoiceField(
        label="Grouped", required=False, choices=[("Fruit", [("apple", "Apple"), ("pear", "Pear")]), ("x", "X")]
    )
    many = forms.MultipleChoiceField(label="Many", required=False, choices=[("1", "One"), ("2", "Two")])
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    search = forms.CharField(
        label="Search", required=False, widget=forms.TextInput(attrs={"data-lookup": True, "disabled": False})
    )
    ways = forms.MultipleChoiceField(
        label="Ways", required=False, choices=[("a", "A"), ("b", "B")], widget=forms.CheckboxSelectMultiple
    )
    pick = forms.ChoiceField(label="Pick", required=False, choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)


SUBMITTED = {
    "name": "x" * 30,
    "email": "not an email",
    "count": "0",
    "share": "12.5",
    "on": "2026-02-30",
    "at": "2026-03-01 10:00",
    "kind": "b",
    "grouped": "pear",
    "many": ["1", "2"],
    "note": "one\n<two>",
    "search": "a&b",
    "ways": ["b"],
    "pick": "a",
    "agree": "on",
}


def _both(make, render):
    """What `render` gives for a form made by `make`, with Django's templates and with the writers."""
    django_renderer, python_renderer = DjangoTemplates(), FormRenderer()
    return render(make(django_renderer)), render(make(python_renderer))


@pytest.mark.parametrize("data", [None, SUBMITTED, {"kind": "zzz", "name": ""}], ids=["unbound", "errors", "missing"])
@pytest.mark.parametrize("auto_id", ["id_%s", "step-%s", False])
def test_every_field_renders_as_django_templates_do(data, auto_id):
    def make(renderer):
        form = Everything(data, auto_id=auto_id, renderer=renderer)
        form.is_valid()
        if data:
            form.add_error(None, "The whole form <is> wrong")
        return form

    parts = {
        "widget": lambda bound: str(bound),
        "label": lambda bound: bound.label_tag(),
        "legend": lambda bound: bound.legend_tag(),
        "field group": lambda bound: bound.as_field_group(),
        "errors": lambda bound: str(bound.errors),
    }
    for name in Everything.base_fields:
        for part, render in parts.items():
            django, ours = _both(make, lambda form, name=name, render=render: render(form[name]))
            assert ours == django, (name, part)
    for whole in (lambda form: str(form.non_field_errors()), lambda form: form.as_div()):
        django, ours = _both(make, whole)
        assert ours == django


def test_the_pages_use_these_writers():
    """Settings point the pages at the renderer, and it writes the templates the pages render."""
    assert isinstance(get_default_renderer(), FormRenderer)
    for name in ("date", "text", "email", "number", "hidden", "password", "checkbox", "select", "textarea"):
        assert f"django/forms/widgets/{name}.html" in WRITERS
    assert {"django/forms/label.html", "django/forms/field.html", "django/forms/errors/list/default.html"} <= set(
        WRITERS
    )


def test_first_choices_select_writes_what_djangos_select_would():
    """The people and unit selects write their options themselves: the markup of Django's select
    for the same options (less the whitespace between the tags), the chosen one selected."""
    import re

    from grassroots.web import FirstChoicesSelect

    select = FirstChoicesSelect(attrs={"class": "wide"})
    shown = [("", "— any —"), ("12", 'North & "South"'), ("7", "East <b>")]
    select.choices_shown = lambda value: shown  # the options a queryset would give
    django_select = forms.Select(attrs={"class": "wide"}, choices=shown)
    for value in ("", "7", None):
        attrs = {"id": "id_unit", "required": True}
        ours = select.render("unit", value, attrs=attrs)
        django = django_select.render("unit", value, attrs=attrs, renderer=DjangoTemplates())
        assert ours == re.sub(r">\s+<", "><", django)
