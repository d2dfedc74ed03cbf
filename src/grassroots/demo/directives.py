"""The demo's directive: the federation sends a campaign to its districts, each district passes
it on to its building committees, and the committees answer: some have reported their signatures,
one declined, and two of one district are overdue."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

from grassroots.directives import actions as directives
from grassroots.directives.models import Assignment, Directive
from grassroots.organizations.models import Organization, Unit

BY = "demo"
CAMPAIGN = "Rent freeze petition"
SIGNATURES = [{"name": "Signatures", "type": "number", "required": True}]


def campaign(organization: Organization) -> Directive:
    """Issue the campaign and its answers; returns the federation's directive."""
    federation = Unit.objects.get(organization=organization, parent__isnull=True)
    local = timezone.now().astimezone(ZoneInfo(federation.meeting_time_zone))
    due = (local + dt.timedelta(days=30)).replace(tzinfo=None, hour=18, minute=0, second=0, microsecond=0)
    top = directives.create_directive(
        issuer=federation,
        title=CAMPAIGN,
        body="Collect signatures for the rent freeze in every building; report how many by the due date.",
        due=due,
        by=BY,
        kind=Directive.Kind.CAMPAIGN,
        target_kind="district",
        form=SIGNATURES,
    )
    directives.issue_directive(directive=top, by=BY)
    passed = []
    for assignment in (
        Assignment.objects.filter(directive=top).select_related("unit", "directive").order_by("unit_path")
    ):
        passed.append(directives.pass_on(assignment=assignment, by=BY, target_kind="building_committee"))
    # The last district's directive fell due two days ago, which no action accepts for a new one:
    # its date is set back so the demo shows what an overdue assignment looks like.
    late = passed[-1]
    Directive.objects.filter(pk=late.pk).update(due=timezone.now() - dt.timedelta(days=2))
    late.refresh_from_db()
    declined = False
    for child in passed:
        rows = list(
            Assignment.objects.filter(directive=child).select_related("unit", "directive").order_by("unit_path")
        )
        for number, assignment in enumerate(rows):
            if child is late and number < 2:
                continue  # overdue: not answered
            if not declined and child is not late:
                declined = True
                directives.set_assignment_status(
                    assignment=assignment, status="declined", reason="The building is being renovated.", by=BY
                )
                continue
            if child is not late and number == len(rows) - 1:
                continue  # still pending, not yet due
            directives.submit_report(assignment=assignment, values={"Signatures": 40 + 15 * number}, by=BY)
    return top
