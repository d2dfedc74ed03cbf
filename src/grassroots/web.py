"""What the web pages share: date inputs, choosing a person, refusals as messages, forms that feed one action,
and running one action from a small form that reports back after a redirect.

Forms parse and validate input; the actions decide. A refusal becomes the form's errors or a
flash message with every reason, and nothing has changed.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.utils import flatatt
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import conditional_escape, escape, format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from grassroots.errors import ActionRefused, InvalidFields
from grassroots.ids import is_row_id
from grassroots.keyset import InvalidCursor, KeysetPage, keyset_page
from grassroots.people.models import Course, Person

SELECTED = " selected"

# How many choices a select of people or units lists before its search box is needed.
LISTED_CHOICES = 50


class DayInput(forms.DateInput):
    """The browser's date picker; its value is always ISO (YYYY-MM-DD), whatever the locale."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class ListedSelect(forms.Select):
    """Django's select for a flat list of choices, written here as `FirstChoicesSelect` writes its
    own instead of one template per option (a meeting's 200 people were a template each).
    Grouped choices keep Django's templates."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        if any(isinstance(label, list | tuple) for _, label in self.choices):
            return super().render(name, value, attrs, renderer)
        return select_html(self, name, attrs, self.format_value(value), self.choices)


def select_html(widget: forms.Select, name: str, attrs, values: list[str], choices) -> SafeString:
    """Django's select markup for flat `(value, label)` choices, written here as its
    `select.html` and `select_option.html` templates write it (a template per option was most of
    a page with a long select): the first option whose value is in `values` is selected (every
    such option for a multiple select), values and labels escaped."""
    chosen, options = False, []
    for option, label in choices:
        selected = (widget.allow_multiple_selected or not chosen) and str(option) in values
        chosen |= selected
        options.append(
            f'<option value="{escape(str(option))}"{SELECTED if selected else ""}>{conditional_escape(label)}</option>'
        )
    attributes = flatatt(widget.build_attrs(widget.attrs, attrs))
    return format_html('<select name="{}"{}>{}</select>', name, attributes, SafeString("".join(options)))


# Labels and widgets of unbound forms that depend on the form's class alone (see `fields_html`).
_KEPT_FIELDS: dict[tuple, tuple[str, str]] = {}


def fields_html(form: forms.Form, *, live: tuple[str, ...] = (), wrap: str = "<p>{}</p>") -> SafeString:
    """Each field of a form as `label widget`, in `wrap`, as a template looping over the form
    writes it. Of an unbound form, the labels and the widgets not named in `live` (those whose
    choices are the request's) follow from the form's class alone: each is rendered through its
    templates once per process (two templates per field were most of a page's time)."""
    parts = []
    for field in form:
        if form.is_bound:
            label, widget = field.label_tag(), str(field)
        else:
            key = (type(form), form.prefix, form.auto_id, field.name)
            if key not in _KEPT_FIELDS:
                _KEPT_FIELDS[key] = (field.label_tag(), "" if field.name in live else str(field))
            label, widget = _KEPT_FIELDS[key]
            if field.name in live:
                widget = str(field)
        parts.append(wrap.format(f"{label} {widget}"))
    return SafeString("".join(parts))


def cursor_page(request: HttpRequest, rows, **options) -> KeysetPage:
    """The page of `rows` after the request's `?after=` (`keyset.keyset_page`, given `options`); a
    link whose cursor is not one of this list's opens the first page and says so."""
    try:
        return keyset_page(rows, after=request.GET.get("after"), **options)
    except InvalidCursor:
        messages.error(request, "That page link is not one of this list's pages: the list starts again from the top.")
        return keyset_page(rows, after=None, **options)


class RowLinks:
    """The address of one route for every row of a table: reversed once, each row's address made
    by putting the row's last argument (an id or a slug) where a stand-in was.

    Django's `reverse` tries the route's patterns in Python (about as costly as the rest of a
    row); a table of fifty people with their units reversed a hundred times a page. The address
    is exactly `reverse(name, args=[*args, last])` for ids and slugs (characters that need no
    quoting); any other value, or a route whose stand-in cannot be found, is reversed as usual.
    """

    STAND_IN = 7_301_942_658
    PLAIN = re.compile(r"[-a-zA-Z0-9_]+")

    def __init__(self, name: str, *args: object) -> None:
        self.name, self.args = name, args
        before, *after = reverse(name, args=[*args, self.STAND_IN]).split(str(self.STAND_IN))
        self.parts = (before, after[0]) if len(after) == 1 else None

    def __call__(self, last: object) -> str:
        text = str(last)
        if self.parts is None or not self.PLAIN.fullmatch(text):
            return reverse(self.name, args=[*self.args, last])
        return f"{self.parts[0]}{text}{self.parts[1]}"


@functools.lru_cache(maxsize=4096)
def _day(value: dt.date, language: str | None) -> str:
    return date_format(value, "j M Y")


def day(value: dt.date) -> str:
    """A day as the pages write it in their tables ("5 Mar 2024"): what `|date:"j M Y"` gives,
    kept once written (days repeat down a table, and the filter's format machinery cost as much
    as the rest of a row)."""
    return _day(value, get_language())


def day_field(label: str = "On") -> forms.DateField:
    return forms.DateField(label=label, initial=timezone.localdate, widget=DayInput)


def as_message(lines: list[str]) -> SafeString:
    """Lines as one flash message: the first as its headline, the others listed under it."""
    if len(lines) == 1:
        return format_html("{}", lines[0])
    return format_html("{}<ul>{}</ul>", lines[0], format_html_join("", "<li>{}</li>", ((line,) for line in lines[1:])))


def refusal_message(refusal: ActionRefused) -> SafeString:
    """A refusal as one flash message, with every reason it gives."""
    return as_message([refusal.message, *refusal.reasons])


DRAFT_LIMIT = 50_000  # characters of a posted field a draft keeps (a motion's text at most)


def keep_draft(request: HttpRequest, key: str, fields: tuple[str, ...], **also: str) -> None:
    """Keep what was posted in `fields` (and the values `also`, e.g. which of a page's forms) for
    the page a refused form goes back to, which takes it once (`take_draft`): a long text typed
    into a small form of a busy page is not lost to a refusal flashed after a redirect. Kept in
    the signed-in session, never in an address."""
    posted = {name: request.POST.get(name, "")[:DRAFT_LIMIT] for name in fields}
    request.session[f"draft:{key}"] = posted | also


def take_draft(request: HttpRequest, key: str) -> dict[str, str]:
    """The draft kept under `key` (see `keep_draft`), forgotten as it is read; {} when none."""
    return request.session.pop(f"draft:{key}", None) or {}


class ActionForm(forms.Form):
    """A form whose cleaned data goes to one action.

    A refusal joins the form's errors: on the field it names, or for the whole form with
    every reason, so the page can show all of them.
    """

    def refuse(self, refusal: ActionRefused) -> None:
        if isinstance(refusal, InvalidFields):  # each wrong field under itself, all at once
            for name, message in refusal.errors.items():
                self.add_error(name if name in self.fields else None, message)
            return
        field = refusal.field if refusal.field in self.fields else None
        self.add_error(field, [refusal.message, *refusal.reasons])

    def error_message(self) -> SafeString:
        """The validation errors as one flash message, for the small forms that report after a redirect."""
        return as_message(
            [
                error if name == NON_FIELD_ERRORS else f"{self[name].label}: {error}"
                for name, errors in self.errors.items()
                for error in errors
            ]
        )


class RowIdChoices:
    """For model choice fields: a value that cannot be a row id is an invalid choice, never a
    query that overflows the database."""

    def clean(self, value):
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            if item not in self.empty_values and not is_row_id(str(item)):
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": item}
                )
        return super().clean(value)


CONFIRMED = "confirmed"


def confirm_first(request: HttpRequest, form: ActionForm, *, question: str, back_to: str) -> HttpResponse | None:
    """Ask before a change that is not lightly undone (ending a membership, making a unit dormant,
    dissolving it): a valid form posted without `confirmed=yes` gets a page that says what will
    happen, repeats the posted values and posts them again with the confirmation. None when the
    change may go ahead (confirmed, or invalid: the step then reports the errors)."""
    from django.shortcuts import render

    if request.POST.get(CONFIRMED) == "yes" or not form.is_valid():
        return None
    values = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", CONFIRMED)
        for value in values
    ]
    context = {"question": question, "values": values, "action": request.path, "back_to": back_to}
    return render(request, "confirm.html", context)


class DayForm(ActionForm):
    """A step that needs nothing but its date: prepare, go dormant, dissolve, end a post."""

    on = day_field()


class FirstChoicesSelect(forms.Select):
    """A select over a model choice field that lists the current choice and the first few others.

    It never loads the whole queryset; the field still accepts any object of it.
    """

    def choices_shown(self, value: list[str]) -> list[tuple[str, str]]:
        """(value, label) of the options: the empty choice, the chosen objects, then the first
        others. No query for the chosen when nothing (or nothing that can be a row id) is chosen."""
        field = self.choices.field
        chosen = [pk for pk in value if is_row_id(pk)]
        others = field.queryset.exclude(pk__in=chosen) if chosen else field.queryset
        objects = [*(field.queryset.filter(pk__in=chosen) if chosen else ()), *others[:LISTED_CHOICES]]
        choices = [(str(field.prepare_value(obj)), field.label_from_instance(obj)) for obj in objects]
        if field.empty_label is not None:
            choices.insert(0, ("", field.empty_label))
        return choices

    def optgroups(self, name, value, attrs=None):
        options = [
            self.create_option(name, choice, label, choice in value, index, attrs=attrs)
            for index, (choice, label) in enumerate(self.choices_shown(value))
        ]
        return [(None, options, 0)]

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        """Django's select markup (`select_html`): through the widget templates, a page with two
        of these rendered two templates per option (a third of a unit page's time)."""
        values = self.format_value(value)
        return select_html(self, name, attrs, values, self.choices_shown(values))


def person_label(person: Person) -> str:
    """A person as a choice shows them: name and email, which tells two namesakes apart."""
    return f"{person.name} <{person.email}>" if person.email else person.name


class PersonChoiceField(RowIdChoices, forms.ModelChoiceField):
    """A person, chosen among millions: the first few listed, the others found by search."""

    widget = FirstChoicesSelect

    def label_from_instance(self, person: Person) -> str:
        return person_label(person)


def perform_step(
    request: HttpRequest,
    form: ActionForm,
    action: Callable[..., object],
    *,
    done: str,
    back_to: HttpResponse,
    **targets: object,
) -> HttpResponse:
    """Run one action from a small form, flash the outcome, and go back to the page it came from.

    The form's fields are named as the action's arguments and `targets` (the unit, the person)
    are passed beside them; `done` is the success message, formatted with the targets.
    """
    if not form.is_valid():
        messages.error(request, form.error_message())
    else:
        # Formatted after the action: "Renamed to {unit.name}" reads the new name.
        run_step(request, action, done=lambda: done.format(**targets), **targets, **form.cleaned_data)
    return back_to


def run_step(
    request: HttpRequest, action: Callable[..., object], *, done: str | Callable[[], str], **arguments: object
) -> bool:
    """Run `action(by=the user, **arguments)` and flash `done` (or what it returns, called after
    the action), or the refusal naming its rule; True when it ran."""
    try:
        action(by=request.user, **arguments)
    except ActionRefused as refusal:
        messages.error(request, refusal_message(refusal))
        return False
    messages.success(request, done if isinstance(done, str) else done())
    return True


class CourseChoiceField(forms.ModelChoiceField):
    """A course of the organization, chosen by its code (courses are few and not secret)."""

    def __init__(self, courses, **kwargs):
        super().__init__(courses, to_field_name="code", **kwargs)

    def label_from_instance(self, course: Course) -> str:
        return f"{course.title} ({course.code})"
