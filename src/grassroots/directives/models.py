"""Guidance down, reports up: a directive issued by a committee to units of its subtree, one
assignment per target unit, the units' reports against the directive's form, and the reminders
sent about each assignment (once per assignment and kind)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.db import models


class Directive(models.Model):
    """A task, report request or campaign sent by a unit (the issuer) to units of its subtree:
    Markdown body, a due time in the issuer's zone, targets (every unit of a kind in the subtree,
    or chosen units), an optional report form; draft -> issued -> closed, re-issued as versions.
    A directive passed on by a district to its own subtree has the directive it passes on as parent."""

    class Kind(models.TextChoices):
        TASK = "task"
        REPORT = "report"
        CAMPAIGN = "campaign"

    class Status(models.TextChoices):
        DRAFT = "draft"
        ISSUED = "issued"
        CLOSED = "closed"

    class Completion(models.TextChoices):
        # How the assignment of a unit that passed the directive on is complete.
        UNITS = "units"  # when every unit it passed it on to is done
        REPORT = "report"  # when it files its own report

    organization = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("organizations.Unit", on_delete=models.PROTECT, related_name="directives_issued")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    decision = models.ForeignKey(
        "meetings.Decision", null=True, blank=True, on_delete=models.PROTECT, related_name="directives"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TASK)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, help_text="Markdown.")
    body_html = models.TextField(blank=True, editable=False, help_text="The body as sanitized HTML.")
    due = models.DateTimeField()
    time_zone = models.CharField(max_length=60, help_text="The issuer's IANA zone, which `due` is written in.")
    target_kind = models.CharField(max_length=60, blank=True)
    target_units = models.JSONField(default=list, blank=True, help_text="Ids of chosen target units.")
    form = models.JSONField(default=list, blank=True, help_text="Report fields: [{name, type, required, choices}].")
    completion = models.CharField(max_length=10, choices=Completion.choices, default=Completion.UNITS)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    issued_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "due"], name="directive_status_due")]

    def __str__(self) -> str:
        return self.title

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def agenda_title(self) -> str:
        """The title of the agenda item a unit's meeting takes the directive up under."""
        return AGENDA_PREFIX + self.title


# An agenda item titled this prefix and a directive's title lists the directive on a meeting.
AGENDA_PREFIX = "Directive: "


class Assignment(models.Model):
    """One target unit's part of a directive: pending, acknowledged, in progress, done or declined
    (with a reason). Overdue is computed (open after the due time), never stored. `unit_path` is
    the unit's path when the directive was issued, so the roll-up is a range scan on one table;
    `latest_values` holds the values of the unit's latest report (what the roll-up sums)."""

    class Status(models.TextChoices):
        PENDING = "pending"
        ACKNOWLEDGED = "acknowledged"
        IN_PROGRESS = "in_progress"
        DONE = "done"
        DECLINED = "declined"

    directive = models.ForeignKey(Directive, on_delete=models.CASCADE, related_name="assignments", db_index=False)
    unit = models.ForeignKey("organizations.Unit", on_delete=models.PROTECT, related_name="assignments")
    unit_path = models.CharField(max_length=255)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(blank=True)
    adaptation = models.TextField(blank=True, help_text="The unit's local adaptation of the directive.")
    local_date = models.DateField(null=True, blank=True, help_text="The unit's own date for it.")
    passed_on = models.OneToOneField(
        Directive, null=True, blank=True, on_delete=models.SET_NULL, related_name="passed_from"
    )
    latest_values = models.JSONField(null=True, blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["unit_path"]
        constraints = [models.UniqueConstraint(fields=["directive", "unit"], name="one_assignment_per_unit")]
        indexes = [models.Index(fields=["directive", "unit_path"], name="assignment_range")]

    def __str__(self) -> str:
        return f"{self.directive_id} for {self.unit_id}: {self.status}"


OPEN = (Assignment.Status.PENDING, Assignment.Status.ACKNOWLEDGED, Assignment.Status.IN_PROGRESS)


class Report(models.Model):
    """One revision of a unit's report on its assignment: the values as the form validated them
    (a file field holds the stored file's path under the data directory). The latest counts."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="reports")
    revision = models.PositiveIntegerField()
    values = models.JSONField(default=dict)
    submitted_by = models.CharField(max_length=150)
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["assignment", "-revision"]
        constraints = [models.UniqueConstraint(fields=["assignment", "revision"], name="one_report_revision")]

    def __str__(self) -> str:
        return f"report {self.revision} on {self.assignment_id}"


class Reminder(models.Model):
    """A notice sent about one assignment, at most once per kind whatever the number of runs of
    the reminder job (the unique constraint); `batch` groups the rows one run mailed together."""

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon"
        OVERDUE = "overdue"

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    batch = models.CharField(max_length=40)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assignment", "kind"], name="one_reminder_per_assignment_and_kind")
        ]
        indexes = [models.Index(fields=["batch"], name="reminder_batch")]

    def __str__(self) -> str:
        return f"{self.kind} reminder of {self.assignment_id}"
