"""Reading import runs: always through `restrict`, so a run out of the caller's sight is a 404.

Administrators of the organization see every run; whoever may import somewhere in it sees their
own; a running import's counts come from its progress file until its batch commits.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from grassroots.access import restrict
from grassroots.ids import is_row_id
from grassroots.organizations.models import Organization

from .models import ImportRun
from .progress import read_progress


def runs_visible_to(user, organization: Organization):
    return restrict(ImportRun.objects.all(), user=user, organization=organization).select_related("requested_by")


def run_for(user, organization: Organization, pk) -> ImportRun:
    if not is_row_id(str(pk)):
        from django.http import Http404

        raise Http404("no such import")
    run = get_object_or_404(runs_visible_to(user, organization), pk=pk)
    return with_progress(run)


def with_progress(run: ImportRun) -> ImportRun:
    """The run with the counts of its last batch when it is still running."""
    if run.state == ImportRun.State.RUNNING:
        for name, value in read_progress(run.pk).items():
            if hasattr(run, name):
                setattr(run, name, value)
    return run
