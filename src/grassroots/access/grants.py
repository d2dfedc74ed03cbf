"""What a user may do in an organization, derived from the organization's own records.

An officer post held today (started, not yet ended) grants the post's rights, as the
constitution lists them, over its unit's subtree. An administrator account covers the whole
organization. A member account sees its own record and its own unit's roster. Grants are
computed afresh for every request (cached on the user object, which lives for one request),
so a post that ends or an account that is switched off takes effect on the next request.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from django.db.models import CharField, Value
from django.utils import timezone


class Right(enum.StrEnum):
    VIEW_UNITS = "view_units"  # any grant that covers a unit lets its holder see the unit
    VIEW_PEOPLE = "view_people"
    EDIT_PEOPLE = "edit_people"
    MANAGE_UNITS = "manage_units"
    IMPORT_EXPORT = "import_export"
    VIEW_AUDIT = "view_audit"
    VIEW_LINEAGE = "view_lineage"
    ISSUE_DIRECTIVES = "issue_directives"

    @property
    def words(self) -> str:
        """What the right lets its holder do, in plain words ("import and export members")."""
        return RIGHT_WORDS[self]


RIGHT_WORDS = {
    Right.VIEW_UNITS: "see units",
    Right.VIEW_PEOPLE: "see people's records",
    Right.EDIT_PEOPLE: "change people's records",
    Right.MANAGE_UNITS: "manage units",
    Right.IMPORT_EXPORT: "import and export members",
    Right.VIEW_AUDIT: "read the audit trail",
    Right.VIEW_LINEAGE: "see who recruited whom",
    Right.ISSUE_DIRECTIVES: "issue directives",
}


class Operator:
    """Whoever runs the `grassroots` command on the server (or a job): the whole installation."""

    is_active = True
    is_staff = True
    is_superuser = True
    is_authenticated = True
    is_anonymous = False

    def __init__(self, label: str):
        self.label = label

    def get_username(self) -> str:
        return self.label


def is_operator(actor) -> bool:
    """The terminal, jobs and superusers operate the installation; labels like 'cli:ann' are operators."""
    if isinstance(actor, str | Operator):
        return True
    return bool(getattr(actor, "is_authenticated", False) and actor.is_active and actor.is_superuser)


@dataclass(frozen=True)
class Grants:
    """One user's rights in one organization: whole-organization, per-subtree, and as a member."""

    everything: bool = False
    posts: tuple[tuple[str, frozenset[str]], ...] = ()
    person_id: int | None = None
    member_unit_path: str | None = None
    roster_fields: tuple[str, ...] = field(default=("name",))

    @property
    def is_empty(self) -> bool:
        return not (self.everything or self.posts or self.person_id)

    def paths(self, right: str) -> list[str]:
        """The subtree roots where `right` holds, without any that lies inside another."""
        roots = sorted(path for path, rights in self.posts if right == Right.VIEW_UNITS or right in rights)
        kept: list[str] = []
        for path in roots:
            if not kept or not path.startswith(kept[-1]):
                kept.append(path)
        return kept

    def allows(self, right: str, path: str) -> bool:
        if self.everything:
            return True
        if right == Right.VIEW_UNITS and path == self.member_unit_path:
            return True
        return any(path.startswith(root) for root in self.paths(right))


NOTHING = Grants()
EVERYTHING = Grants(everything=True)


def grants_for(user, organization_id: int) -> Grants:
    """The user's grants in an organization today, computed once per request.

    A bearer token reaches its own organization only, whoever holds it (a superuser included).
    """
    token_organization = getattr(user, "token_organization_id", None)
    if token_organization is not None and token_organization != organization_id:
        return NOTHING
    if is_operator(user):
        return EVERYTHING
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    cache = user.__dict__.setdefault("_grassroots_grants", {})
    if organization_id not in cache:
        cache[organization_id] = _compute(user, organization_id)
    return cache[organization_id]


def _compute(user, organization_id: int) -> Grants:
    from grassroots.accounts.models import Account
    from grassroots.organizations.models import OfficerPost
    from grassroots.people.models import Membership

    account = Account.objects.filter(user=user, organization_id=organization_id).select_related("organization").first()
    if account is None:
        return NOTHING
    if account.is_admin:
        return Grants(everything=True, person_id=account.person_id)
    if account.person_id is None:
        return NOTHING
    constitution = account.organization.constitution
    today = timezone.localdate()
    held = OfficerPost.objects.filter(
        person_id=account.person_id, start__lte=today, unit__organization_id=organization_id
    ).exclude(end__lte=today)
    # The posts held and the unit of the one current membership (a row with no post), one query.
    membership = (
        Membership.objects.current()
        .filter(person_id=account.person_id)
        .values_list("unit__path", Value(None, output_field=CharField()))
    )
    rows = sorted(held.order_by().values_list("unit__path", "post").union(membership.order_by(), all=True), key=str)
    return Grants(
        posts=tuple((path, constitution.rights_of_post(post)) for path, post in rows if post is not None),
        person_id=account.person_id,
        member_unit_path=next((path for path, post in rows if post is None), None),
        roster_fields=tuple(constitution.member_roster_fields),
    )
