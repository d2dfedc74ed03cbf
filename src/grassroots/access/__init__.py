"""The one restriction point: every read of units, people, memberships and events goes here.

`restrict(queryset, user=..., organization=...)` narrows a queryset to what the user may
see. Today a signed-in, active staff user sees the whole organization and anyone else sees
nothing; scoped roles (officer posts granting a subtree by path range) plug in here, so no
selector has to change.
"""

from __future__ import annotations

from typing import TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)

# The field that carries each restricted model's organization.
ORGANIZATION_FIELD = {
    "organizations.organization": "pk",
    "organizations.unit": "organization",
    "organizations.unitevent": "unit__organization",
    "organizations.officerpost": "unit__organization",
    "people.person": "organization",
    "people.membership": "person__organization",
    "people.statuschange": "membership__person__organization",
    "meetings.meeting": "unit__organization",
    "audit.auditrecord": "organization",
}


def sees_everything(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    return bool(user is not None and user.is_active and (user.is_staff or user.is_superuser))


def restrict(queryset: QuerySet[M], *, user: AbstractBaseUser | AnonymousUser | None, organization=None) -> QuerySet[M]:
    """Narrow `queryset` to what `user` may see, within `organization` when one is given."""
    field = ORGANIZATION_FIELD[queryset.model._meta.label_lower]
    if organization is not None:
        queryset = queryset.filter(**{field: organization})
    if not sees_everything(user):
        return queryset.none()
    return queryset


class Operator:
    """Whoever runs the `grassroots` command on the server: operates the whole installation."""

    is_active = True
    is_staff = True
    is_superuser = True
    is_authenticated = True
    is_anonymous = False

    def __init__(self, label: str):
        self.label = label

    def get_username(self) -> str:
        return self.label
