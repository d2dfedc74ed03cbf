"""Organizations, their tree of units, the units' dated history and officer posts."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from django.db import models
from django.db.models import Q

from grassroots.constitution import Constitution, parse_constitution

PATH_SEGMENT = 7  # base-36 characters per tree level: room for 78 billion units
PATH_END = "~"  # sorts after every path character, so [path, path + "~") is the subtree


def path_segment(pk: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        pk, rest = divmod(pk, 36)
        text = digits[rest] + text
        if not pk:
            break
    return text.rjust(PATH_SEGMENT, "0")


@lru_cache(maxsize=256)
def _parsed_constitution(organization_id: int | None, digest: str, text: str) -> Constitution:
    """The constitution of one organization at one version (the digest of its YAML), parsed once
    per process: parsing and validating costs milliseconds, and every request needs it. The
    result is frozen, so requests can share it."""
    return parse_constitution(text)


class Organization(models.Model):
    """One tenant: a federation, union or party, governed by one constitution."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    constitution_yaml = models.TextField()
    default_region = models.CharField(max_length=2, default="GB", help_text="For phone numbers.")
    time_zone = models.CharField(
        max_length=60, default="UTC", help_text="IANA time zone of its meetings, unless a unit says otherwise."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def constitution(self) -> Constitution:
        """The parsed `constitution_yaml`, kept with the text it was parsed from: a new text (after
        `refresh_from_db()` or an assignment) is parsed anew, the same text is not hashed again."""
        text = self.constitution_yaml
        parsed: tuple[str, Constitution] | None = getattr(self, "_constitution", None)
        if parsed is None or parsed[0] is not text:
            parsed = (text, _parsed_constitution(self.pk, hashlib.sha256(text.encode()).hexdigest(), text))
            self._constitution = parsed
        return parsed[1]


class UnitState(models.TextChoices):
    PLANNED = "planned"
    PREPARING = "preparing"
    FOUNDED = "founded"
    DORMANT = "dormant"
    DISSOLVED = "dissolved"


class UnitQuerySet(models.QuerySet["Unit"]):
    def in_subtree(self, path: str) -> UnitQuerySet:
        """Units whose path starts with `path`: a range scan on the path index."""
        return self.filter(path__gte=path, path__lt=path + PATH_END)


class Unit(models.Model):
    """A node of the organization's tree; its kind (from the constitution) gives its level.

    `path` is the materialized path (one fixed-width segment per ancestor, then its own),
    kept in the same transaction as `parent` by the actions, so a subtree is one range scan.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="units")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    path = models.CharField(max_length=255, unique=True)
    kind = models.CharField(max_length=60)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80)
    state = models.CharField(max_length=12, choices=UnitState.choices, default=UnitState.PLANNED)
    created_on = models.DateField()
    founded_on = models.DateField(null=True, blank=True)
    time_zone = models.CharField(
        max_length=60, blank=True, default="", help_text="IANA time zone of its meetings; empty: the organization's."
    )

    objects = UnitQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        constraints = [models.UniqueConstraint(fields=["organization", "slug"], name="unit_slug_unique_in_org")]
        indexes = [models.Index(fields=["organization", "kind", "state"])]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return len(self.path) // PATH_SEGMENT - 1

    @property
    def is_basic(self) -> bool:
        return self.organization.constitution.kind(self.kind).basic

    @property
    def kind_label(self) -> str:
        return self.organization.constitution.kind(self.kind).label

    @property
    def state_label(self) -> str:
        return self.organization.constitution.state_label(kind=self.kind, state=self.state)

    @property
    def meeting_time_zone(self) -> str:
        """The IANA zone the unit's meetings are held in: its own, else the organization's."""
        return self.time_zone or self.organization.time_zone

    def subtree(self) -> UnitQuerySet:
        return Unit.objects.in_subtree(self.path)


class UnitEvent(models.Model):
    """A dated step in a unit's life; each row keeps the unit's state, parent and name after it.

    The tree as of a day is the latest event of each unit on or before that day.
    """

    class Kind(models.TextChoices):
        CREATED = "created"
        PREPARING = "preparing"
        FOUNDED = "founded"
        DORMANT = "dormant"
        DISSOLVED = "dissolved"
        RENAMED = "renamed"
        MOVED = "moved"

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    on = models.DateField()
    state = models.CharField(max_length=12, choices=UnitState.choices)
    parent = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    note = models.TextField(blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["on", "id"]
        indexes = [models.Index(fields=["unit", "on"])]

    def __str__(self) -> str:
        return f"{self.on} {self.unit_id} {self.kind}"


class OfficerPost(models.Model):
    """An officer post (from the constitution) held by a person in a unit for a period."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="posts")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="posts")
    post = models.CharField(max_length=60)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["unit", "post", "-start"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "post"], condition=Q(end__isnull=True), name="one_current_holder_per_post"
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")), name="post_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.post} of {self.unit}"
