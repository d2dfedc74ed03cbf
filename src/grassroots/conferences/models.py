"""Conferences a body convenes over its subtree, and each unit's seats from the apportionment."""

from __future__ import annotations

from django.db import models

from . import apportionment


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
    standing = models.BooleanField(
        default=False,
        help_text="Count only members in good standing by the constitution's meetings rule on the cut-off.",
    )
    method = models.CharField(max_length=20)
    seats = models.PositiveIntegerField(null=True, blank=True)
    minimum_seats = models.PositiveIntegerField(default=0)
    maximum_seats = models.PositiveIntegerField(null=True, blank=True)
    per = models.PositiveIntegerField(null=True, blank=True)
    rounding = models.CharField(max_length=20, blank=True)
    brackets = models.TextField(blank=True)
    rule_from_constitution = models.BooleanField(
        default=False,
        help_text="The rule is the constitution's (conferences.apportionment) as it stood when planned; "
        "otherwise chosen for this conference.",
    )
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

    @property
    def rule_summary(self) -> str:
        """The rule's parameters in a few words (see `apportionment.rule_summary`)."""
        return apportionment.rule_summary(
            method=self.method,
            seats=self.seats,
            minimum=self.minimum_seats,
            maximum=self.maximum_seats,
            per=self.per,
            rounding=self.rounding,
            brackets=self.brackets,
        )

    @property
    def status_label(self) -> str:
        """The status as the pages word it ("in session")."""
        return str(self.Status(self.status).label)


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


class Motion(models.Model):
    """An item of the conference's agenda put to it: submitted by a unit (from a carried decision
    of one of its meetings, `decision`) or by a delegate, numbered in the conference, its text
    (blank-line separated paragraphs) and its earlier texts in `versions` (a list of
    {"text", "amendment", "at"}, oldest first: each adopted amendment keeps the text it replaced).
    Status: submitted -> admitted -> debated -> adopted | rejected | referred. An adopted motion is
    a resolution; `article` is where the bulletin published it."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "submitted"
        ADMITTED = "admitted", "admitted"
        DEBATED = "debated", "debated"
        ADOPTED = "adopted", "adopted"
        REJECTED = "rejected", "rejected"
        REFERRED = "referred", "referred"

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="motions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    text = models.TextField()
    versions = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    unit = models.ForeignKey("organizations.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decision = models.ForeignKey("meetings.Decision", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    delegate = models.ForeignKey(Delegate, null=True, blank=True, on_delete=models.PROTECT, related_name="motions")
    founding = models.BooleanField(default=False, help_text="The resolution that founds the organization's top unit.")
    submitted_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    article = models.ForeignKey("bulletin.Article", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["conference", "number"]
        constraints = [models.UniqueConstraint(fields=["conference", "number"], name="one_motion_number")]

    def __str__(self) -> str:
        return f"motion {self.number}: {self.title}"


class Amendment(models.Model):
    """A proposed change of a motion: its whole text replaced (`paragraph` null) or one paragraph
    (1 first) replaced by `text`; submitted -> adopted | rejected by its poll, or lapsed when its
    poll closed after the motion was decided or after its paragraph was gone (the text unchanged)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "submitted"
        ADOPTED = "adopted", "adopted"
        REJECTED = "rejected", "rejected"
        LAPSED = "lapsed", "lapsed"

    motion = models.ForeignKey(Motion, on_delete=models.CASCADE, related_name="amendments")
    number = models.PositiveIntegerField()
    paragraph = models.PositiveIntegerField(null=True, blank=True)
    text = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    delegate = models.ForeignKey(Delegate, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["motion", "number"]
        constraints = [models.UniqueConstraint(fields=["motion", "number"], name="one_amendment_number")]

    def __str__(self) -> str:
        return f"amendment {self.number} of motion {self.motion_id}"


class Election(models.Model):
    """An election of the leading body (or any post) by the conference: candidates (names), the
    `method` (plurality, approval, irv, stv), the seats; draft -> open -> closed; on close the
    ballots are counted by `voting.elect` and the result kept (`result`, the engine's JSON) with
    the entitled list as it stood (`entitled`). A candidate may be a person of the organization
    (`candidate_people`: their name on the ballot -> the person's id)."""

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="elections")
    title = models.CharField(max_length=200)
    method = models.CharField(max_length=20)
    seats = models.PositiveIntegerField(default=1)
    candidates = models.JSONField(default=list)
    candidate_people = models.JSONField(
        default=dict, blank=True, help_text="Candidate name -> id of the person of the organization they are."
    )
    body = models.BooleanField(default=False, help_text="Elects the leading body of the organization's top unit.")
    state = models.CharField(max_length=6, default="draft")
    seed = models.CharField(max_length=64)
    entitled = models.JSONField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["conference", "id"]

    def __str__(self) -> str:
        return self.title


class Poll(models.Model):
    """A vote of the conference on a motion, an amendment, or a free subject: its `kind`
    (yes-no-abstain, yes-no, yes), `base` of 100 % and required `majority` (see `voting.polls`);
    draft -> open -> closed. Counted from named votes (`named`) or from totals entered at the
    close (`totals`). On close the entitled list (weights and presence), the proxies and the
    result (`voting.PollResult.as_json`) are frozen here and never change again."""

    class State(models.TextChoices):
        DRAFT = "draft", "draft"
        OPEN = "open", "open"
        CLOSED = "closed", "closed"

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="polls")
    motion = models.ForeignKey(Motion, null=True, blank=True, on_delete=models.PROTECT, related_name="polls")
    amendment = models.ForeignKey(Amendment, null=True, blank=True, on_delete=models.PROTECT, related_name="polls")
    subject = models.CharField(max_length=200)
    kind = models.CharField(max_length=16)
    base = models.CharField(max_length=10)
    majority = models.CharField(max_length=20)
    named = models.BooleanField(default=True)
    state = models.CharField(max_length=6, choices=State.choices, default=State.DRAFT)
    totals = models.JSONField(null=True, blank=True)
    entitled = models.JSONField(null=True, blank=True)
    proxies = models.JSONField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["conference", "id"]

    def __str__(self) -> str:
        return self.subject


class PollVote(models.Model):
    """A delegate's named vote in a poll: `choice` (yes, no, abstain: all they carry), or a split
    (`yes`, `no`, `abstain` parts of their weight), and the `weight` they carried when they cast
    it (a vote counts only while they carry the same; null for votes recorded before)."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="votes", db_index=False)
    delegate = models.ForeignKey(Delegate, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(max_length=8, blank=True)
    yes = models.PositiveIntegerField(default=0)
    no = models.PositiveIntegerField(default=0)
    abstain = models.PositiveIntegerField(default=0)
    weight = models.PositiveIntegerField(null=True, blank=True)
    cast_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["poll", "delegate"], name="one_vote_per_delegate")]

    def __str__(self) -> str:
        return f"vote of delegate {self.delegate_id} in poll {self.poll_id}"


class Proxy(models.Model):
    """A delegate (`giver`) gives their vote to another of the same delegation (`holder`) for the
    rest of the conference, until withdrawn (deleted). Counted only while the holder is present;
    the giver cannot vote."""

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="proxies", db_index=False)
    giver = models.ForeignKey(Delegate, on_delete=models.CASCADE, related_name="+")
    holder = models.ForeignKey(Delegate, on_delete=models.CASCADE, related_name="+")
    given_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["conference", "giver"], name="one_proxy_per_giver")]

    def __str__(self) -> str:
        return f"proxy of delegate {self.giver_id} to {self.holder_id}"


class ElectionBallot(models.Model):
    """A delegate's ballot in an election: the candidates in order of preference (ranked
    methods), or those approved (approval), or the one chosen (plurality), and the `weight` the
    delegate carried when they cast it (counted only while they carry the same)."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="ballots", db_index=False)
    delegate = models.ForeignKey(Delegate, on_delete=models.PROTECT, related_name="+")
    choices = models.JSONField(default=list)
    weight = models.PositiveIntegerField(null=True, blank=True)
    cast_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["election", "delegate"], name="one_ballot_per_delegate")]

    def __str__(self) -> str:
        return f"ballot of delegate {self.delegate_id} in election {self.election_id}"
