"""Conferences a body convenes over its subtree, and each unit's seats from the apportionment."""

from __future__ import annotations

from django.db import models


class Conference(models.Model):
    """A conference of delegates convened by a committee (or the top unit) over its subtree: its
    dates and place, the cut-off date its members are counted on, the kind of unit that sends a
    delegation (by default the basic units), who counts (the statuses in good
    standing and an optional minimum tenure), the apportionment rule and its parameters, the seed
    of the lot that breaks ties, and its status, planned -> called -> credentialing -> in session
    -> closed, each step dated. Once apportioned it keeps the input's SHA-256, the rule in words,
    the ties and the warnings; the seats per unit are its allocations."""

    class Status(models.TextChoices):
        PLANNED = "planned", "planned"
        CALLED = "called", "called"
        CREDENTIALING = "credentialing", "credentialing"
        IN_SESSION = "in_session", "in session"
        CLOSED = "closed", "closed"

    # House-size methods take `seats` (and `minimum_seats`, `maximum_seats`); "per" takes `per`
    # and `rounding`; "brackets" takes `brackets` (the engine's text form, "1-14: 1" a line).
    PER = "per"
    BRACKETS = "brackets"

    organization = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("organizations.Unit", on_delete=models.PROTECT, related_name="conferences")
    name = models.CharField(max_length=200)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    place = models.CharField(max_length=200, blank=True)
    cutoff = models.DateField(help_text="Members are counted as they stood on this day.")
    statuses = models.JSONField(
        default=list, blank=True, help_text="Member statuses counted in good standing; empty: the constitution's."
    )
    delegation_kind = models.CharField(
        max_length=60,
        blank=True,
        help_text="The kind of unit that sends a delegation; empty: the basic units.",
    )
    minimum_tenure_days = models.PositiveIntegerField(
        default=0, help_text="Days a membership must have run by the cut-off to count."
    )
    method = models.CharField(max_length=20)
    seats = models.PositiveIntegerField(null=True, blank=True)
    minimum_seats = models.PositiveIntegerField(default=0)
    maximum_seats = models.PositiveIntegerField(null=True, blank=True)
    per = models.PositiveIntegerField(null=True, blank=True)
    rounding = models.CharField(max_length=20, blank=True)
    brackets = models.TextField(blank=True)
    seed = models.CharField(max_length=64, help_text="Seed of the lot that breaks ties.")
    votes_per_delegate = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Weighted delegates: each carries at most this many member votes; empty: one vote each.",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PLANNED)
    host_key = models.CharField(
        max_length=40, blank=True, help_text="Key of the hall's check-in link; empty: no link (a new one ends the old)."
    )
    created_at = models.DateTimeField()
    called_at = models.DateTimeField(null=True, blank=True)
    credentialing_at = models.DateTimeField(null=True, blank=True)
    in_session_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    apportioned_at = models.DateTimeField(null=True, blank=True)
    input_sha256 = models.CharField(max_length=64, blank=True)
    rule = models.TextField(blank=True)
    ties = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-cutoff", "-id"]

    def __str__(self) -> str:
        return self.name


class Allocation(models.Model):
    """One unit's line of a conference's apportionment: its members counted at the cut-off, its
    quota (four decimals, and the exact fraction), its seats and its lower and upper quota (null
    under rules with no quota). `unit_path` is the unit's path when apportioned."""

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="allocations", db_index=False)
    unit = models.ForeignKey("organizations.Unit", on_delete=models.PROTECT, related_name="allocations")
    unit_path = models.CharField(max_length=255)
    members = models.PositiveIntegerField()
    quota = models.CharField(max_length=40, blank=True)
    quota_exact = models.CharField(max_length=200, blank=True)
    seats = models.PositiveIntegerField()
    lower_quota = models.PositiveIntegerField(null=True, blank=True)
    upper_quota = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["unit_path"]
        constraints = [models.UniqueConstraint(fields=["conference", "unit"], name="one_allocation_per_unit")]

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.seats} seats"


class Delegation(models.Model):
    """A unit's delegation to a conference: elected at one of the unit's meetings after the call
    (`decision`, a carried decision of that meeting), its seats those of the unit's allocation, and
    its chair (one of its delegates), who casts the votes of the delegation that cannot be split."""

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="delegations")
    allocation = models.OneToOneField(Allocation, on_delete=models.PROTECT, related_name="delegation")
    unit = models.ForeignKey("organizations.Unit", on_delete=models.PROTECT, related_name="delegations")
    decision = models.ForeignKey("meetings.Decision", on_delete=models.PROTECT, related_name="delegations")
    chair = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="chaired_delegations"
    )
    elected_at = models.DateTimeField()

    class Meta:
        ordering = ["conference", "allocation__unit_path"]
        constraints = [models.UniqueConstraint(fields=["conference", "unit"], name="one_delegation_per_unit")]

    def __str__(self) -> str:
        return f"delegation of unit {self.unit_id} to conference {self.conference_id}"


class Delegate(models.Model):
    """A person elected to a delegation: a delegate (holding one of its seats) or an alternate
    (ranked: the first present alternate takes the seat of a delegate marked absent). `weight` is
    the member votes the delegate carries (1 unless the conference weights its delegates). The
    credential: submitted (from the election's decision) -> verified or challenged (grounds, and
    the credentials committee's decision) -> seated or refused. `present` is kept by check-in;
    `seated_for` names the delegate whose seat an alternate took."""

    class Role(models.TextChoices):
        DELEGATE = "delegate", "delegate"
        ALTERNATE = "alternate", "alternate"

    class Credential(models.TextChoices):
        SUBMITTED = "submitted", "submitted"
        VERIFIED = "verified", "verified"
        CHALLENGED = "challenged", "challenged"
        SEATED = "seated", "seated"
        REFUSED = "refused", "refused"

    delegation = models.ForeignKey(Delegation, on_delete=models.CASCADE, related_name="delegates")
    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="delegates", db_index=False)
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="conference_seats")
    role = models.CharField(max_length=10, choices=Role.choices)
    rank = models.PositiveSmallIntegerField(help_text="Order within the role: 1 first.")
    weight = models.PositiveIntegerField(default=1)
    credential = models.CharField(max_length=12, choices=Credential.choices, default=Credential.SUBMITTED)
    grounds = models.TextField(blank=True, help_text="Why the credential was challenged.")
    ruling = models.TextField(blank=True, help_text="The credentials committee's decision on a challenge.")
    present = models.BooleanField(default=False)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    seated_for = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaced_by"
    )

    class Meta:
        ordering = ["delegation", "role", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["conference", "person"], name="one_seat_per_person_and_conference"),
            models.UniqueConstraint(fields=["delegation", "role", "rank"], name="one_rank_per_role_in_delegation"),
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.rank} of delegation {self.delegation_id}"
