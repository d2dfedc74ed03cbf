"""Indirect paths: the scope rule for whatever matches, links, counts or reports records on the
caller's behalf.

A direct read goes through `restrict`: a record outside the caller's scope is not found. An
indirect path is anything that reaches other records *through* the one asked for, or through
the caller's input: an import matching people by email and resolving recruiters, an export or
a subject access file printing a recruiter, a page naming a person's recruiter or a unit's
parent, an errors file or a refusal naming a unit, an audit view printing an actor label. The
rule, the same everywhere:

1. **It sees only the caller's scope.** An indirect path finds, links or prints a record only
   when a direct read of that record by the same caller (`restrict`, with the right the path
   needs) would find it.
2. **Out of scope is the same as absent.** For a record outside the scope, the outcome is the
   outcome for a record that does not exist: the same status, the same counts, the same
   message. An import row whose email matches only someone outside the scope creates a new
   person (an administrator finds the pair among the duplicates); a recruiter outside the scope
   is "not found", as an unknown one is; a related record the caller may not read prints as
   empty (or null), never by name; a refusal names a unit by what the caller typed, not by its
   display name, unless the caller may see that unit.
3. Operators and an organization's administrators see the whole organization, so nothing is
   hidden from them.

The helpers below are the only way the printers and matchers ask the question.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Model

from . import restrict
from .grants import Right, grants_for, is_operator


def scope_condition(user, organization, right: str, *, path_column: str, id_column: str) -> tuple[str, list] | None:
    """The SQL condition (with its parameters) that keeps the people a direct read of
    `people.person` with `right` would find, for set-based statements; None when the caller sees
    the whole organization. `path_column` holds the person's unit path, `id_column` their id."""
    if is_operator(user):
        return None
    grants = grants_for(user, organization.pk)
    if grants.everything:
        return None
    parts, params = [], []
    for path in grants.paths(right):
        parts.append(f"({path_column} >= %s AND {path_column} < %s)")
        params += [path, path + "~"]
    if grants.person_id is not None:  # their own record, as `restrict` allows
        parts.append(f"{id_column} = %s")
        params.append(grants.person_id)
    return ("(" + " OR ".join(parts) + ")" if parts else "(1 = 0)"), params


def visible_ids(model: type[Model], ids: Iterable[int | None], *, user, organization, right: str | None = None) -> set:
    """The ids among `ids` that a direct read by `user` would find (one query; none for no ids)."""
    wanted = {pk for pk in ids if pk is not None}
    if not wanted:
        return set()
    if is_operator(user) or grants_for(user, organization.pk).everything:
        return wanted
    found = restrict(model.objects.filter(pk__in=wanted), user=user, organization=organization, right=right)
    return set(found.values_list("pk", flat=True))


def visible_related(record: Model | None, *, user, organization, right: str | None = None):
    """`record` when a direct read by `user` would find it, else None: how a page, an export or
    an API answer prints a related record (a recruiter, a parent, a merged-into unit)."""
    if record is None:
        return None
    if visible_ids(type(record), [record.pk], user=user, organization=organization, right=right):
        return record
    return None


def unit_label(unit, *, user, given: str = "") -> str:
    """How a message names a unit: its display name when the caller may see the unit, otherwise
    what the caller typed (`given`, e.g. the slug of the address), or a neutral word."""
    if unit is not None and (
        is_operator(user) or grants_for(user, unit.organization_id).allows(Right.VIEW_UNITS, unit.path)
    ):
        return unit.name
    return given or "this unit"
