"""Reading for imports: the runs, always through `restrict`, so a run out of the caller's sight is
a 404; and the units a file's rows may name (`basic_units_for_import`).

Administrators of the organization see every run; whoever may import somewhere in it sees their
own; a running import's counts come from its progress file until its batch commits.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from grassroots.access import Right, restrict
from grassroots.ids import is_row_id
from grassroots.organizations.models import Organization, Unit, UnitState

from .models import ImportRun
from .progress import read_progress
from .validation import UnitRef

OPEN_STATES = (UnitState.PREPARING, UnitState.FOUNDED)  # the units people may join


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


def basic_units_for_import(organization: Organization, by=None) -> dict[str, UnitRef]:
    """Every way a row may name a unit (slug, name, path, case-insensitively) from one query.

    Units people cannot join (committees, planned or closed units) are there with the reason.
    Given the actor, only the units they may see are there: a row naming any other unit reads
    exactly as one naming a unit that does not exist.
    """
    constitution = organization.constitution
    basic = set(constitution.basic_kinds)
    refs: dict[str, UnitRef] = {}
    units = Unit.objects.filter(organization=organization)
    if by is not None:
        units = restrict(units, user=by, organization=organization, right=Right.VIEW_UNITS)
    rows = units.values_list("id", "path", "name", "slug", "kind", "state")
    for pk, path, name, slug, kind, state in rows.iterator(chunk_size=5000):
        refusal = ""
        if kind not in basic:
            refusal = f"{name} is a {constitution.kind(kind).label.lower()}; people are members of basic units"
        elif state not in OPEN_STATES:
            refusal = f"{name} is {state}; people join units that are preparing or founded"
        ref = UnitRef(pk, path, name, refusal, closed=bool(refusal) and kind in basic)
        for key in (name.casefold(), slug.casefold(), path, name, slug):
            current = refs.get(key)
            if current is None or (current.refusal and not refusal):
                refs[key] = ref
    return refs
