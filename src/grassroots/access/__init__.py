"""The one restriction point: who may see and change what, by subtree.

Rights come from the organization itself (see `grants.py`): an officer post held today grants
its rights over the post's unit and everything under it; an organization administrator has
the whole organization; a member sees their own record and their own unit; the operator at
the terminal (and superusers) operate the whole installation.

- `restrict(queryset, user=..., organization=..., right=...)` narrows any read to the caller's
  scope with path ranges (`path >= p AND path < p + "~"`), never a per-row check. Selectors
  start from it, so an object out of scope is simply not found: a 404.
- `authorize(by, right, unit)` guards a write: a change that would create or move data
  outside the actor's scope raises `OutOfScope` (403). Actions call it before the write and
  again, on the fresh rows, after it, inside their transaction.
"""

from __future__ import annotations

from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.http import Http404

from .grants import Grants, Operator, Right, grants_for, is_operator

__all__ = [
    "Grants",
    "NotVisible",
    "Operator",
    "OutOfScope",
    "Right",
    "authorize",
    "authorize_post",
    "grants_for",
    "is_operator",
    "may_import",
    "may_somewhere",
    "restrict",
    "visible_organization_ids",
]

M = TypeVar("M", bound=Model)

# For each restricted model: the field naming its organization, the field holding the unit path
# that scopes it, and the right a reader needs.
SCOPE = {
    "organizations.unit": ("organization", "path", Right.VIEW_UNITS),
    "organizations.unitevent": ("unit__organization", "unit__path", Right.VIEW_UNITS),
    "organizations.officerpost": ("unit__organization", "unit__path", Right.VIEW_UNITS),
    "meetings.meeting": ("unit__organization", "unit__path", Right.VIEW_UNITS),
    "meetings.meetingseries": ("unit__organization", "unit__path", Right.VIEW_UNITS),
    "people.person": ("organization", "unit_path", Right.VIEW_PEOPLE),
    "people.membership": ("person__organization", "unit__path", Right.VIEW_PEOPLE),
    "people.statuschange": ("membership__person__organization", "membership__unit__path", Right.VIEW_PEOPLE),
    "people.consent": ("person__organization", "person__unit_path", Right.VIEW_PEOPLE),
    "people.coursecompletion": ("person__organization", "person__unit_path", Right.VIEW_PEOPLE),
    "meetings.attendance": ("person__organization", "person__unit_path", Right.VIEW_PEOPLE),
    "audit.auditrecord": ("organization", "unit__path", Right.VIEW_AUDIT),
    # A directive by its issuer; an assignment (and its reports) by its unit: a unit sees its own.
    "directives.directive": ("organization", "unit__path", Right.VIEW_UNITS),
    "directives.assignment": ("directive__organization", "unit__path", Right.VIEW_UNITS),
    # A conference by its convening unit: whoever sees that unit sees the conference.
    "conferences.conference": ("organization", "unit__path", Right.VIEW_UNITS),
}


# For the records about one person: the field that names them.
OWN_RECORD = {
    "people.person": "pk",
    "people.membership": "person_id",
    "people.statuschange": "membership__person_id",
    "people.consent": "person_id",
    "people.coursecompletion": "person_id",
    "meetings.attendance": "person_id",
}


class OutOfScope(PermissionDenied):
    """A write the actor's rights do not cover: answered 403, and nothing changes."""

    def __init__(self, message: str, *, organization=None, unit=None):
        super().__init__(message)
        self.message, self.organization, self.unit = message, organization, unit


class NotVisible(Http404):
    """A lookup of a record that exists but is out of the caller's scope: answered 404, exactly as
    for one that does not exist. It carries what was refused, so the interface that answers the 404
    (a page or the API) can write the `access.denied` audit record; selectors only read."""

    def __init__(self, message: str, *, organization, what: str, unit=None):
        super().__init__(message)
        self.organization, self.unit, self.what = organization, unit, what


def _in_paths(field: str, paths: list[str]) -> Q:
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{f"{field}__gte": path, f"{field}__lt": path + "~"})
    return condition


def visible_organization_ids(user) -> list[int] | None:
    """The organizations where the user has any grant today, in one query; None means all of them.

    A grant is an administrator account, a current membership, or a post held today: the same
    sources as `grants_for`, asked of every organization at once.
    """
    token_organization = getattr(user, "token_organization_id", None)
    if is_operator(user):
        # A superuser's token still reaches its own organization only.
        return None if token_organization is None else [token_organization]
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    from django.utils import timezone

    from grassroots.accounts.models import Account
    from grassroots.organizations.models import OfficerPost
    from grassroots.people.models import Membership

    today = timezone.localdate()
    holds_post = OfficerPost.objects.filter(person_id=OuterRef("person_id"), start__lte=today).exclude(end__lte=today)
    is_member = Membership.objects.filter(person_id=OuterRef("person_id"), end__isnull=True)
    # A person whose membership has lapsed still sees their own record there.
    accounts = Account.objects.filter(user=user).filter(
        Q(is_admin=True) | Q(person__isnull=False) | Exists(holds_post) | Exists(is_member)
    )
    if token_organization is not None:
        accounts = accounts.filter(organization_id=token_organization)
    return list(accounts.values_list("organization_id", flat=True))


def restrict(queryset: QuerySet[M], *, user, organization=None, right: str | None = None) -> QuerySet[M]:
    """Narrow `queryset` to what `user` may see (with `right`), within `organization` if given."""
    label = queryset.model._meta.label_lower
    if label == "organizations.organization":
        allowed = visible_organization_ids(user)
        if organization is not None:
            queryset = queryset.filter(pk=organization.pk)
        return queryset if allowed is None else queryset.filter(pk__in=allowed)
    if label == "imports.importrun":
        return _restrict_import_runs(queryset, user, organization)
    organization_field, path_field, default_right = SCOPE[label]
    right = right or default_right
    if organization is None:
        if is_operator(user):
            return queryset
        raise ValueError(f"restrict({label}) needs the organization whose scope applies")
    queryset = queryset.filter(**{organization_field: organization})
    grants = grants_for(user, organization.pk)
    if grants.everything:
        return queryset
    condition = _in_paths(path_field, grants.paths(right))
    if right == Right.VIEW_UNITS and grants.member_unit_path:
        condition |= Q(**{path_field: grants.member_unit_path})
    if grants.person_id is not None and label in OWN_RECORD:
        # A member sees their own record: their person, memberships, status changes and consents.
        condition |= Q(**{OWN_RECORD[label]: grants.person_id})
    return queryset.filter(condition)


def _restrict_import_runs(queryset: QuerySet[M], user, organization) -> QuerySet[M]:
    """Import runs belong to the organization, not to a subtree: its administrators see them all;
    whoever may import somewhere in it sees their own (their errors files hold the rows' values)."""
    if organization is None:
        if is_operator(user):
            return queryset
        raise ValueError("restrict(imports.importrun) needs the organization whose scope applies")
    queryset = queryset.filter(organization=organization)
    grants = grants_for(user, organization.pk)
    if grants.everything:
        return queryset
    if grants.paths(Right.IMPORT_EXPORT):
        return queryset.filter(requested_by_id=user.pk)
    return queryset.none()


def may_somewhere(user, organization, right: str) -> bool:
    """Whether the user holds `right` somewhere in the organization: to offer a page or a button
    whose every action checks its own unit (a member is not offered a form only to be refused)."""
    if is_operator(user):
        return True
    grants = grants_for(user, organization.pk)
    return grants.everything or bool(grants.paths(right))


def may_import(user, organization) -> bool:
    """Whether the user may import or export members somewhere in the organization (to offer the
    import pages; each import checks every row's unit)."""
    return may_somewhere(user, organization, Right.IMPORT_EXPORT)


def _and_list(items: list[str]) -> str:
    """'a, b and c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def authorize_post(by, post: str, unit) -> None:
    """Refuse (403) appointing to or ending a post that grants more than the actor holds there.

    Managing units lets an officer appoint within their subtree, but never to a post whose
    rights they lack: a steward cannot make anyone (themselves included) secretary.
    """
    authorize(by, Right.MANAGE_UNITS, unit)
    if is_operator(by):
        return
    grants = grants_for(by, unit.organization_id)
    lacking = sorted(r for r in unit.organization.constitution.rights_of_post(post) if not grants.allows(r, unit.path))
    if lacking:
        from .indirect import unit_label

        raise OutOfScope(
            f"the post {post} lets its holder {_and_list([Right(r).words for r in lacking])}, "
            f"which you may not do in {unit_label(unit, user=by)}",
            organization=unit.organization,
            unit=unit,
        )


def authorize(by, right: str, unit=None, *, organization=None) -> None:
    """Refuse (403) a write outside the actor's rights: over `unit`'s path, or, when there is no
    unit, over the whole `organization` (only its administrators)."""
    if is_operator(by):
        return
    organization = organization or unit.organization
    grants = grants_for(by, organization.pk)
    if unit is None:
        allowed = grants.everything
        where = f"the whole of {organization.name}"
    else:
        from .indirect import unit_label

        allowed = grants.allows(right, unit.path)
        where = unit_label(unit, user=by)  # never the name of a unit the actor may not see
    if not allowed:
        raise OutOfScope(f"you may not {Right(right).words} in {where}", organization=organization, unit=unit)
