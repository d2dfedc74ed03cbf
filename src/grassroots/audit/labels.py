"""What each audited action is called on the audit trail page, grouped by what it is about.

The keys are the `action` values the actions write (`unit.founded` comes from the unit event
of the same name); the filter offers a group ("every change to units") or one action.
"""

from __future__ import annotations

ACTION_GROUPS: dict[str, tuple[str, dict[str, str]]] = {
    "unit": (
        "Units",
        {
            "unit.add": "Unit planned",
            "unit.preparing": "Unit started preparing",
            "unit.founded": "Unit founded or constituted",
            "unit.dormant": "Unit made dormant",
            "unit.dissolved": "Unit dissolved",
            "unit.rename": "Unit renamed",
            "unit.move": "Unit moved",
        },
    ),
    "post": ("Officer posts", {"post.assign": "Post assigned", "post.end": "Post ended"}),
    "person": (
        "People",
        {
            "person.add": "Person added",
            "person.edit": "Person corrected",
            "person.merge": "Two records of a person merged",
            "person.erase": "Person erased",
            "person.export": "Person's records exported",
        },
    ),
    "membership": (
        "Memberships",
        {
            "membership.join": "Joined a unit",
            "membership.status": "Status changed",
            "membership.transfer": "Transferred to another unit",
            "membership.end": "Membership ended",
        },
    ),
    "course": (
        "Member education",
        {
            "course.add": "Course added",
            "course.complete": "Course completion recorded",
            "course.declare": "Course completion declared",
            "course.review": "Declared completion reviewed",
        },
    ),
    "programme": ("Education programmes", {"programme.add": "Programme added"}),
    "completions": (
        "Course completion files",
        {"completions.import": "Course completions imported", "completions.export": "Course completions exported"},
    ),
    "health": ("Unit health", {"health.snapshot": "Health snapshots written"}),
    "directives": (
        "Directives",
        {
            "directives.draft": "Directive drafted",
            "directives.issue": "Directive issued",
            "directives.reissue": "Directive issued again",
            "directives.close": "Directive closed",
            "directives.pass_on": "Directive passed on",
            "directives.assignment_status": "Assignment status changed",
            "directives.adapt": "Assignment adapted locally",
            "directives.report": "Report filed",
        },
    ),
    "conferences": (
        "Conferences",
        {
            "conferences.add": "Conference planned",
            "conferences.apportion": "Delegates apportioned",
            "conferences.call": "Conference called",
            "conferences.status": "Conference status changed",
            "conferences.delegation": "Delegation recorded",
            "conferences.credential.verify": "Credential verified",
            "conferences.credential.challenge": "Credential challenged",
            "conferences.credential.rule": "Credential challenge ruled on",
            "conferences.credential.seat": "Delegate seated",
            "conferences.presence": "Delegate checked in or out",
            "conferences.host_link": "Conference host link issued",
            "conferences.participants.export": "Conference participants exported",
            "conferences.motion.add": "Motion submitted",
            "conferences.motion.status": "Motion moved on",
            "conferences.amendment.add": "Amendment submitted",
            "conferences.amendment.decide": "Amendment decided",
            "conferences.resolution.publish": "Resolution published",
            "conferences.poll.add": "Poll prepared",
            "conferences.poll.open": "Poll opened",
            "conferences.poll.close": "Poll closed",
            "conferences.poll.vote": "Vote cast",
            "conferences.proxy.give": "Proxy given",
            "conferences.proxy.withdraw": "Proxy withdrawn",
            "conferences.election.add": "Election prepared",
            "conferences.election.open": "Election opened",
            "conferences.election.close": "Election closed",
            "conferences.election.ballot": "Ballot cast",
            "conferences.constitute": "Body constituted by the conference",
        },
    ),
    "consent": ("Consent", {"consent.give": "Consent given", "consent.withdraw": "Consent withdrawn"}),
    "people": (
        "Member files",
        {
            "people.import.queued": "Import of members queued",
            "people.import": "Members imported",
            "people.export": "Members exported",
        },
    ),
    "bulletin": (
        "Bulletin",
        {
            "bulletin.publication.add": "Publication started",
            "bulletin.issue.add": "Issue drafted",
            "bulletin.issue.schedule": "Issue scheduled",
            "bulletin.issue.send": "Issue sent to the outbox",
            "bulletin.issue.sent": "Issue sending finished",
            "bulletin.subscribe": "Subscription asked for",
            "bulletin.subscribe.confirm": "Subscription confirmed",
            "bulletin.unsubscribe": "Unsubscribed",
            "bulletin.feed_token.create": "Members' feed address made",
            "bulletin.feed_token.revoke": "Members' feed address revoked",
        },
    ),
    "outbox": (
        "Outbox",
        {
            "outbox.queue": "Mail queued",
            "outbox.pause": "Sending paused",
            "outbox.resume": "Sending resumed",
            "outbox.finish": "Sending finished",
            "outbox.bounce": "Bounce recorded",
            "outbox.complaint": "Complaint recorded",
        },
    ),
    "meeting": (
        "Meetings",
        {
            "meeting.add": "Meeting planned",
            "meeting.edit": "Meeting changed",
            "meeting.held": "Meeting held",
            "meeting.cancel": "Meeting cancelled",
            "meeting.attend": "Attendance recorded",
            "meeting.agenda": "Agenda changed",
            "meeting.agenda.move": "Agenda reordered",
            "meeting.walk_in": "Walk-in counted at the door",
            "meeting.decide": "Decision recorded",
            "meeting.minutes": "Minutes written",
            "meeting.approve": "Minutes approved",
            "meeting.series.add": "Series of meetings planned",
            "meeting.series.edit": "Series of meetings changed",
            "meeting.series.extend": "Meetings of a series created ahead",
            "meeting.host_link": "Host check-in link issued or revoked",
            "meeting.course": "Meeting made a course session",
            "meeting.feed.create": "Calendar feed address created",
            "meeting.feed.revoke": "Calendar feed address revoked",
        },
    ),
    "time_zone": ("Time zones", {"time_zone.set": "Time zone set"}),
    "organization": ("Organization", {"organization.create": "Organization created"}),
    "account": ("Accounts", {"account.create": "Account created"}),
    "auth": ("Sign-ins", {"auth.sign_in": "Signed in"}),
    "two_factor": ("Two-factor sign-in", {"two_factor.replace": "Authenticator replaced"}),
    "token": ("API tokens", {"token.create": "API token created", "token.revoke": "API token revoked"}),
    "access": ("Refused access", {"access.denied": "Access refused"}),
    "audit": ("Audit trail", {"audit.export": "Audit trail exported"}),
}
ACTION_LABELS: dict[str, str] = {key: label for _, actions in ACTION_GROUPS.values() for key, label in actions.items()}


def action_label(action: str) -> str:
    """The action's label; an action without one (from a later version) shows as it is written."""
    return ACTION_LABELS.get(action, action)


def action_choices() -> list[tuple[str, object]]:
    """The audit filter's choices: any action, then per group every action of it or one of them."""
    choices: list[tuple[str, object]] = [("", "— any action —")]
    for family, (group, actions) in ACTION_GROUPS.items():
        choices.append((group, [(family, f"{group}: all"), *actions.items()]))
    return choices
