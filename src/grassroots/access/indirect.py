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
    parts: list[str] = []
    params: list[str | int] = []
    for path in grants.paths(right):
        parts.append(f"({path_column} >= %s AND {path_column} < %s)")
        params += [path, path + "~"]
    if grants.person_id is not None:  # their own record, as `restrict` allows
        parts.append(f"{id_column} = %s")
        params.append(grants.person_id)
    return ("(" + " OR ".join(parts) + ")" if parts else "(1 = 0)"), params


def visible_unit(user, unit):
    """`unit` when the caller may see it (as a direct read of the unit would), else None: how a
    page or an API answer prints a parent, or the unit of an event. Asks the request's grants,
    no query."""
    if unit is None:
        return None
    if is_operator(user) or grants_for(user, unit.organization_id).allows(Right.VIEW_UNITS, unit.path):
        return unit
    return None


def visible_person(user, person, *, right: str = Right.VIEW_PEOPLE):
    """`person` when a direct read by `user` with `right` would find them (`restrict`'s rule: the
    whole organization, a subtree holding their unit, or their own record), else None: how a
    page, an export or an API answer prints a recruiter or a recruit. Asks the request's grants,
    no query, so a list can print a related person per row."""
    if person is None:
        return None
    if is_operator(user):
        return person
    grants = grants_for(user, person.organization_id)
    if grants.everything or person.pk == grants.person_id:
        return person
    return person if person.unit_path and grants.allows(right, person.unit_path) else None


def sees_unit_slug(user, organization_id: int, slug: str) -> bool:
    """Whether a record may print the unit with this slug (as an audit record's changes do): the
    caller sees that unit. Unknown slugs are not shown either. One query per slug and request."""
    if is_operator(user) or grants_for(user, organization_id).everything:
        return True
    from grassroots.organizations.models import Unit

    cache = user.__dict__.setdefault("_grassroots_unit_slugs", {})
    key = (organization_id, slug)
    if key not in cache:
        unit = Unit.objects.filter(organization_id=organization_id, slug=slug).only("path", "organization_id").first()
        cache[key] = visible_unit(user, unit) is not None
    return cache[key]


def unit_label(unit, *, user, given: str = "") -> str:
    """How a message names a unit: its display name when the caller may see the unit, otherwise
    what the caller typed (`given`, e.g. the slug of the address), or neutral words."""
    if visible_unit(user, unit) is not None:
        return unit.name
    return f"'{given}'" if given else "a unit outside your scope"
