"""Meetings of a unit: when and where, who attended, the agenda, decisions and minutes; series
that repeat a meeting by a recurrence rule; secret calendar feed addresses."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import Q


class PlaceVisibility(models.TextChoices):
    MEMBERS = "members"
    OFFICERS = "officers"


# What an occurrence that follows its series takes from it (besides its time).
FOLLOWED = ("title", "duration", "place", "place_visibility", "online_link")


class MeetingSeries(models.Model):
    """A meeting repeated by a recurrence rule (RFC 5545 RRULE, read by python-dateutil) from a first
    local start in a time zone, with excluded local dates. Its occurrences are `Meeting` rows
    created ahead by the series job, one per series and original start."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    unit = models.ForeignKey("organizations.Unit", on_delete=models.PROTECT, related_name="meeting_series")
    kind = models.CharField(max_length=40, default="regular")
    title = models.CharField(max_length=200)
    first_start = models.DateTimeField(help_text="The first occurrence's start (its local time sets every one's).")
    time_zone = models.CharField(max_length=60)
    duration = models.PositiveIntegerField(default=120, help_text="Minutes.")
    place = models.CharField(max_length=500, blank=True)
    place_visibility = models.CharField(max_length=10, choices=PlaceVisibility.choices, default="members")
    online_link = models.URLField(max_length=500, blank=True)
    rule = models.CharField(max_length=300, help_text="RRULE value, e.g. FREQ=MONTHLY;BYDAY=2TU;COUNT=6.")
    excluded = models.JSONField(default=list, help_text="Local dates (YYYY-MM-DD) with no occurrence.")
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["unit", "first_start"]

    def __str__(self) -> str:
        return f"{self.title} (series)"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


class Meeting(models.Model):
    """A meeting of a unit: its kind (built-in or the constitution's), title, aware start in the
    unit's time zone, duration, place and who may read it, status planned → held → minutes
    approved (or cancelled). `uid` never changes; `sequence` grows with each change of time, place
    or status, as calendar clients need."""

    class Kind(models.TextChoices):
        FOUNDING = "founding"
        REGULAR = "regular"
        EXTRAORDINARY = "extraordinary"
        EDUCATION = "education"

    class Status(models.TextChoices):
        PLANNED = "planned"
        HELD = "held"
        APPROVED = "approved", "minutes approved"
        CANCELLED = "cancelled"

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    unit = models.ForeignKey("organizations.Unit", on_delete=models.PROTECT, related_name="meetings")
    kind = models.CharField(max_length=40, default=Kind.REGULAR)
    course = models.ForeignKey(
        "people.Course",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sessions",
        help_text="For an education session: the course it is a session of.",
    )
    title = models.CharField(max_length=200, blank=True)
    start = models.DateTimeField()
    time_zone = models.CharField(max_length=60, default="UTC")
    duration = models.PositiveIntegerField(default=120, help_text="Minutes.")
    place = models.CharField(max_length=500, blank=True)
    place_visibility = models.CharField(max_length=10, choices=PlaceVisibility.choices, default="members")
    online_link = models.URLField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    sequence = models.PositiveIntegerField(default=0)
    series = models.ForeignKey(
        MeetingSeries, null=True, blank=True, on_delete=models.PROTECT, related_name="occurrences"
    )
    series_start = models.DateTimeField(
        null=True, blank=True, help_text="For an occurrence: the start the series gave it (its RECURRENCE-ID)."
    )
    changed = models.BooleanField(
        default=False, help_text="An occurrence changed on its own: editing the series leaves it as it is."
    )
    walk_ins = models.PositiveIntegerField(
        default=0, help_text="Walk-ins counted at the door without being recorded (they did not consent)."
    )
    host_key = models.CharField(
        max_length=40, blank=True, help_text="Secret of the current host check-in link; empty: none."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start", "-id"]
        indexes = [models.Index(fields=["unit", "start"])]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "series_start"], condition=Q(series__isnull=False), name="one_occurrence_per_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title or self.kind_label} of {self.unit} on {self.on}"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def local_start(self) -> dt.datetime:
        return self.start.astimezone(self.zone)

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(minutes=self.duration)

    @property
    def on(self) -> dt.date:
        """The day of the meeting where it is held."""
        return self.local_start.date()

    @property
    def kind_label(self) -> str:
        return self.unit.organization.constitution.meeting_kinds.get(self.kind, self.kind)


class MeetingEvent(models.Model):
    """A meeting's VEVENT as a calendar feed last wrote it (by the `icalendar` library), with the
    digest of everything it says (`feeds.facts_digest`): kept in the database, so the first
    request of a feed in any process reads its events instead of writing each again. A meeting
    whose VEVENT now says something else (it changed, its unit was renamed, another reader sees
    its place otherwise) has another digest, and its event is written and kept again."""

    meeting = models.OneToOneField(Meeting, primary_key=True, on_delete=models.CASCADE, related_name="calendar_event")
    digest = models.CharField(max_length=64)
    ical = models.BinaryField()

    def __str__(self) -> str:
        return f"VEVENT of {self.meeting_id}"


class Attendance(models.Model):
    """One person at one meeting: invited, registered, excused, present or absent; when they
    arrived, how it was recorded, by whom and when. `code` is a registration's one-time check-in code."""

    class Status(models.TextChoices):
        INVITED = "invited"
        REGISTERED = "registered"
        EXCUSED = "excused"
        PRESENT = "present"
        ABSENT = "absent"

    class Method(models.TextChoices):
        HOST = "host", "host check-in"
        QR = "qr", "QR scan"
        SELF = "self", "self check-in"
        PAPER = "paper", "paper sheet"
        IMPORT = "import"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="attendance")
    status = models.CharField(max_length=10, choices=Status.choices)
    arrived_at = models.DateTimeField(null=True, blank=True)
    method = models.CharField(max_length=10, choices=Method.choices, blank=True)
    guest = models.BooleanField(default=False, help_text="Not a member of the unit: a walk-in, a supporter.")
    recorded_by = models.CharField(max_length=200)
    recorded_at = models.DateTimeField()
    code = models.CharField(max_length=40, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["meeting", "person"]
        constraints = [models.UniqueConstraint(fields=["meeting", "person"], name="one_attendance_per_person")]
        indexes = [
            models.Index(fields=["person", "status"], name="attendance_person_status"),
            # A meeting's counts (present, expected) and its host list read this index alone.
            models.Index(fields=["meeting", "status"], name="attendance_meeting_status"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.status} at {self.meeting_id}"


class AgendaItem(models.Model):
    """An item of a meeting's agenda, in order; a sub-item has a parent item (one level only).
    An item still open when its meeting is held is offered for the next one."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="sub_items")
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    is_open = models.BooleanField(default=True)
    carried_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="carried_to"
    )

    class Meta:
        ordering = ["meeting", "position"]

    def __str__(self) -> str:
        return self.title


class Decision(models.Model):
    """A decision taken at a meeting, with the quorum as it stood: present and required counts
    stored when it was recorded, and `quorate` false when it was taken without quorum."""

    class Outcome(models.TextChoices):
        CARRIED = "carried"
        FAILED = "failed"
        DEFERRED = "deferred"

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="decisions")
    agenda_item = models.ForeignKey(
        AgendaItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions"
    )
    text = models.TextField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    yes = models.PositiveIntegerField(null=True, blank=True)
    no = models.PositiveIntegerField(null=True, blank=True)
    abstain = models.PositiveIntegerField(null=True, blank=True)
    responsible = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    due = models.DateField(null=True, blank=True)
    present = models.PositiveIntegerField()
    required = models.PositiveIntegerField()
    quorate = models.BooleanField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["meeting", "id"]

    def __str__(self) -> str:
        return f"{self.outcome}: {self.text[:60]}"


class Minutes(models.Model):
    """One version of a meeting's minutes: a draft, or approved by a decision of a later meeting."""

    class Status(models.TextChoices):
        DRAFT = "draft"
        APPROVED = "approved"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="minutes_versions")
    version = models.PositiveIntegerField()
    text = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    approved_by = models.ForeignKey(Decision, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    written_by = models.CharField(max_length=200)
    written_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["meeting", "-version"]
        constraints = [models.UniqueConstraint(fields=["meeting", "version"], name="one_minutes_per_version")]

    def __str__(self) -> str:
        return f"minutes v{self.version} of {self.meeting_id}"


class FeedToken(models.Model):
    """A secret calendar feed address of one owner: a unit's meetings, a subtree's (officers), or
    the owner's own meetings. Only the token's hash is kept; revoking ends it."""

    class Scope(models.TextChoices):
        UNIT = "unit"
        SUBTREE = "subtree"
        MINE = "mine"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_tokens")
    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=10, choices=Scope.choices)
    unit = models.ForeignKey("organizations.Unit", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The body last written and its ETag (`views.meeting_feed`): the next request with the same
    # ETag, in any process, sends it again without reading a meeting.
    kept_etag = models.CharField(max_length=34, blank=True, default="")
    kept_body = models.BinaryField(default=b"")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.scope} feed of {self.owner_id}"
