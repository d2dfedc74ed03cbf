"""People and their memberships in basic units, with dated status changes."""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, Lookup, OuterRef, Q

from .normalize import SEARCH_KEY_LENGTH


class Prefix(Lookup):
    """`field__prefix=text`: the values that begin with `text`, as one range of an index.

    On SQLite a range (`>= text AND < text + U+10FFFF`, byte order); on PostgreSQL `LIKE 'text%'`,
    which its `varchar_pattern_ops` indexes answer whatever the database's collation. Django's own
    `startswith` is a LIKE with an ESCAPE clause on SQLite, which no index there answers.
    """

    lookup_name = "prefix"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        text = str(self.rhs)
        if connection.vendor == "postgresql":
            pattern = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            return f"{lhs} LIKE %s", [*lhs_params, pattern]
        return f"{lhs} >= %s AND {lhs} < %s", [*lhs_params, text, text + "\U0010ffff"]


models.CharField.register_lookup(Prefix)


class Person(models.Model):
    """Someone the organization knows: a supporter, candidate or member. Only the name is required."""

    # No index of its own: the (organization, email|name|phone) indexes start with it.
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="people", db_index=False
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True)
    search_key = models.CharField(
        max_length=SEARCH_KEY_LENGTH,
        blank=True,
        db_default="",
        editable=False,
        help_text="The name as search compares it (see people/normalize.py); kept by every write.",
    )
    family_key = models.CharField(
        max_length=SEARCH_KEY_LENGTH,
        blank=True,
        db_default="",
        editable=False,
        help_text="The search key read from the name's last word, so a family name is found by its start.",
    )
    unit_path = models.CharField(
        max_length=255,
        blank=True,
        db_index=True,
        help_text="Path of the unit of the current (or last) membership: scopes reads by one range scan.",
    )
    erased_at = models.DateTimeField(null=True, blank=True, help_text="Anonymized on request; cannot be undone.")
    recruiter = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recruits",
        help_text="Who brought this person in.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            # Pattern operator classes on PostgreSQL: equality (imports) and prefix search alike.
            models.Index(
                fields=["organization", "email"], name="person_org_email", opclasses=["int8_ops", "varchar_pattern_ops"]
            ),
            # With the id: a page by (name, id) is the index in order on PostgreSQL too, which
            # otherwise sorted each name's ties (and planned a parallel scan for fifty rows).
            models.Index(fields=["organization", "name", "id"], name="person_org_name_id"),
            models.Index(
                fields=["organization", "search_key"],
                name="person_org_search_key",
                opclasses=["int8_ops", "varchar_pattern_ops"],
            ),
            models.Index(
                fields=["organization", "family_key"],
                name="person_org_family_key",
                opclasses=["int8_ops", "varchar_pattern_ops"],
            ),
            # Imports de-duplicate by phone after email, one batch at a time.
            models.Index(fields=["organization", "phone"]),
        ]

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(models.QuerySet["Membership"]):
    def current(self) -> MembershipQuerySet:
        return self.filter(end__isnull=True)

    def on(self, day) -> MembershipQuerySet:
        """Memberships that were running on `day` (started on or before it, not yet ended)."""
        return self.filter(start__lte=day).filter(Q(end__isnull=True) | Q(end__gt=day))

    def latest_per_person(self) -> MembershipQuerySet:
        """The membership that gives each person their status: the current one, or, for a person
        with none, the one that ended last (`ended_last`). One per person who ever had a membership."""
        return self.filter(Q(end__isnull=True) | ~Exists(_later_ones()))

    def ended_last(self) -> MembershipQuerySet:
        """Ended memberships after which their person has no other: none current, none ended later
        (latest end, then latest start, then highest id). An anti-join on the person's index, a few
        rows per person, never a scan of their history."""
        return self.filter(end__isnull=False).filter(~Exists(_later_ones()))


def _later_ones() -> MembershipQuerySet:
    """The memberships of the outer membership's person that are current or ended after it."""
    return Membership.objects.filter(person_id=OuterRef("person_id")).filter(
        Q(end__isnull=True)
        | Q(end__gt=OuterRef("end"))
        | Q(end=OuterRef("end"), start__gt=OuterRef("start"))
        | Q(end=OuterRef("end"), start=OuterRef("start"), pk__gt=OuterRef("pk"))
    )


class Membership(models.Model):
    """A person's membership in one basic unit for a period. A person has at most one current one."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    # No index of its own: the (unit, end) index starts with it.
    unit = models.ForeignKey("organizations.Unit", on_delete=models.PROTECT, related_name="memberships", db_index=False)
    status = models.CharField(max_length=40)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["-start", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(end__isnull=True), name="one_current_membership_per_person"
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")), name="membership_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["unit", "end"])]

    def __str__(self) -> str:
        return f"{self.person} in {self.unit}"


class MemberCount(models.Model):
    """How many current memberships of one status a unit has.

    Kept by every write that starts, ends or changes a current membership (the actions and the
    import), in the same transaction, so a subtree's members are a sum over its units rather
    than a count of its memberships; the unit's path is kept beside the count (and moved with
    the subtree), so that sum is one index range, covering, however large the subtree.
    `grassroots unit counts-check ORG` recomputes and compares.
    """

    # No index of its own: the (unit, status) constraint's index starts with it.
    unit = models.ForeignKey(
        "organizations.Unit", on_delete=models.CASCADE, related_name="member_counts", db_index=False
    )
    status = models.CharField(max_length=40)
    members = models.IntegerField(default=0)
    path = models.CharField(
        max_length=255,
        default="",
        help_text="The unit's path, kept with it (as a person's `unit_path` is): a subtree's counts "
        "are one range of the (path, status, members) index, read with no join to the units.",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "status"], name="one_member_count_per_unit_status")]
        indexes = [models.Index(fields=["path", "status", "members"], name="member_count_subtree")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.status}: {self.members}"


class StatusChange(models.Model):
    """A dated change of a membership's status, as the constitution allows."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="status_changes")
    on = models.DateField()
    old = models.CharField(max_length=40)
    new = models.CharField(max_length=40)

    class Meta:
        ordering = ["on", "id"]

    def __str__(self) -> str:
        return f"{self.on}: {self.old} -> {self.new}"


class Consent(models.Model):
    """What a person consented to, when, and under which version of the policy; withdrawals are dated."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(max_length=100, help_text="e.g. 'email bulletins', 'phone contact'.")
    policy_version = models.CharField(max_length=40)
    given_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-given_at", "-id"]

    def __str__(self) -> str:
        return f"{self.purpose} ({self.policy_version})"


class Programme(models.Model):
    """A programme of member education grouping courses: its code (unique in the organization) and title."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="programmes", db_index=False
    )
    code = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code", "id"]
        constraints = [models.UniqueConstraint(fields=["organization", "code"], name="one_programme_code_per_org")]

    def __str__(self) -> str:
        return f"{self.code}: {self.title}"


class Course(models.Model):
    """A course of the organization's member education: its code (unique in the organization,
    as the constitution's `education_share` indicators name it), title, programme, and how many
    months a completion stays valid (null: for good). Its completion rule: attend
    `sessions_required` of its `sessions_total` sessions (meetings of kind education linked to it),
    or be marked by a holder of the officer post `marked_by`; either way after completing the
    `prerequisite` course. With neither rule, any officer who may edit the person marks it."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="courses", db_index=False
    )
    programme = models.ForeignKey(Programme, null=True, blank=True, on_delete=models.PROTECT, related_name="courses")
    code = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    valid_months = models.PositiveSmallIntegerField(null=True, blank=True)
    sessions_required = models.PositiveSmallIntegerField(null=True, blank=True)
    sessions_total = models.PositiveSmallIntegerField(null=True, blank=True)
    marked_by = models.CharField(max_length=60, blank=True, help_text="An officer post; empty: any officer.")
    prerequisite = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code", "id"]
        constraints = [models.UniqueConstraint(fields=["organization", "code"], name="one_course_code_per_org")]

    def __str__(self) -> str:
        return f"{self.code}: {self.title}"


class CourseCompletion(models.Model):
    """That a person completed a course on a day, how it was recorded, and until when it holds
    (`expires_on`, exclusive: from the course's validity; null: for good). Only completion is
    stored: no grades, no scores."""

    class How(models.TextChoices):
        ATTENDANCE = "attendance", "Attended the sessions"
        MARKED = "marked", "Marked by an officer"
        REVIEWED = "reviewed", "Self-declared and reviewed"
        IMPORTED = "imported", "Imported"

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="completions")
    # No index of its own: the (person, course, completed_on) index starts with it.
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="completions", db_index=False)
    completed_on = models.DateField()
    how = models.CharField(max_length=20, choices=How.choices, default=How.MARKED)
    expires_on = models.DateField(null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-completed_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "course", "completed_on"], name="one_completion_per_day"),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gt=models.F("completed_on")),
                name="completion_expires_after",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} completed {self.course_id} on {self.completed_on}"


# A review's reason, at most this many characters.
REASON_MAX_LENGTH = 500


class CompletionDeclaration(models.Model):
    """A person's own word that they completed a course on a day, pending until an officer
    reviews it: accepted, it becomes a completion (how: reviewed); declined, it stays as declined."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="declarations")
    # No index of its own: the (person, course) constraint's index starts with it.
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="declarations", db_index=False)
    completed_on = models.DateField()
    declared_at = models.DateTimeField(auto_now_add=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.CharField(max_length=200, blank=True)
    accepted = models.BooleanField(null=True, blank=True)
    # Why it was declined (or a note on its acceptance), as the reviewing officer gave it.
    review_reason = models.CharField(max_length=REASON_MAX_LENGTH, blank=True)

    class Meta:
        ordering = ["-declared_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "course"], condition=Q(reviewed_at__isnull=True), name="one_pending_declaration"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} declares {self.course_id} on {self.completed_on}"
