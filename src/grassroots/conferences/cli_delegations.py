"""`grassroots conference delegation|credential|checkin|credentials|participants`: a unit's
delegation elected, the credentials handled, presence kept, the credentials report and the
participants' CSV. People are given by number or email, within the conference's organization;
a refusal prints one line naming the option and exits non-zero."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Column, Table

from grassroots.cli.common import JsonFlag, Refusal, get_person, get_unit, operator, out, print_json
from grassroots.errors import ActionRefused
from grassroots.meetings.models import Decision

from . import delegations, selectors
from .models import Conference, Delegate

# The option of each field an action's refusal may name.
FLAGS = {
    "decision": "--decision",
    "delegates": "--delegates",
    "alternates": "--alternates",
    "chair": "--chair",
    "grounds": "--grounds",
    "ruling": "--ruling",
    "unit": "UNIT",
    "credential": "PERSON",
}
VERBS = ("verify", "challenge", "rule", "seat")


def _refused(refusal: ActionRefused) -> Refusal:
    from .cli import _refused as refused  # the conference commands' (registered there)

    return refused(refusal, FLAGS)


def _conference(ref: str) -> Conference:
    from .cli import _conference as conference

    return conference(ref)


def _people(refs: str | None, conference: Conference, option: str) -> list:
    people = []
    for ref in (refs or "").split(","):
        if ref.strip():
            try:
                people.append(get_person(ref.strip(), organization=conference.organization))
            except Refusal as refusal:
                raise Refusal(f"{option}: {refusal}") from None
    return people


def _delegate(conference: Conference, ref: str) -> Delegate:
    found_people = _people(ref, conference, "PERSON")
    if len(found_people) != 1:
        raise Refusal("PERSON: give one delegate's email or number")
    person = found_people[0]
    found = selectors.delegates_of(conference).filter(person=person).select_related("conference__unit").first()
    if found is None:
        raise Refusal(f"PERSON: {person.name} is not elected to {conference.name}")
    return found


def delegation(
    conference: Annotated[str, typer.Argument(help="The conference (id).")],
    unit: Annotated[str, typer.Argument(help="The unit electing its delegation (slug or org/slug).")],
    decision: Annotated[int, typer.Option("--decision", help="The carried decision that elected it (id).")],
    delegates: Annotated[str, typer.Option("--delegates", help="Delegates in rank order, comma-separated.")],
    chair: Annotated[str, typer.Option("--chair", help="The delegation's chair, one of the delegates.")],
    alternates: Annotated[str | None, typer.Option("--alternates", help="Ranked alternates, comma-separated.")] = None,
) -> None:
    """Record the delegation a unit elected at one of its meetings after the call."""
    found = _conference(conference)
    electing = get_unit(unit, organization=found.organization)
    elected = (
        Decision.objects.filter(pk=decision, meeting__unit__organization=found.organization)
        .select_related("meeting")
        .first()
    )
    if elected is None:
        raise Refusal(f"--decision: no decision {decision}")
    chairs = _people(chair, found, "--chair")
    if len(chairs) != 1:
        raise Refusal("--chair: give one person")
    try:
        made = delegations.elect_delegation(
            conference=found,
            unit=electing,
            decision=elected,
            delegates=_people(delegates, found, "--delegates"),
            alternates=_people(alternates, found, "--alternates"),
            chair=chairs[0],
            by=operator(),
        )
    except ActionRefused as refusal:
        raise _refused(refusal) from None
    seats = made.delegates.filter(role=Delegate.Role.DELEGATE).count()
    out.print(f"{electing.name}: {seats} delegate{'s' if seats != 1 else ''} elected to {found.name}.")


def credential(
    conference: Annotated[str, typer.Argument(help="The conference (id).")],
    person: Annotated[str, typer.Argument(help="The delegate or alternate (email or number).")],
    verb: Annotated[str, typer.Argument(help=" | ".join(VERBS))],
    grounds: Annotated[str | None, typer.Option("--grounds", help="Why the credential is challenged.")] = None,
    ruling: Annotated[str | None, typer.Option("--ruling", help="The credentials committee's decision.")] = None,
    seat: Annotated[bool | None, typer.Option("--seat/--refuse", help="With rule: seat or refuse.")] = None,
) -> None:
    """Handle a credential: verify, challenge --grounds T, rule --ruling T --seat|--refuse, seat."""
    if verb not in VERBS:
        raise Refusal(f"VERB: '{verb}' is not one of {', '.join(VERBS)}")
    if grounds is not None and verb != "challenge":
        raise Refusal("--grounds: goes with challenge")
    if (ruling is not None or seat is not None) and verb != "rule":
        raise Refusal("--ruling: goes with rule" if ruling is not None else "--seat/--refuse: goes with rule")
    if verb == "rule" and seat is None:
        raise Refusal("--seat/--refuse: required with rule")
    found = _conference(conference)
    delegate = _delegate(found, person)
    try:
        if verb == "verify":
            delegate = delegations.verify_credential(delegate=delegate, by=operator())
        elif verb == "challenge":
            delegate = delegations.challenge_credential(delegate=delegate, grounds=grounds or "", by=operator())
        elif verb == "rule":
            assert seat is not None
            delegate = delegations.rule_on_challenge(delegate=delegate, ruling=ruling or "", seat=seat, by=operator())
        else:
            delegate = delegations.seat_delegate(delegate=delegate, by=operator())
    except ActionRefused as refusal:
        raise _refused(refusal) from None
    out.print(f"{delegate.person.name}: {delegate.credential}.")


def checkin(
    conference: Annotated[str, typer.Argument(help="The conference (id).")],
    person: Annotated[str, typer.Argument(help="The delegate or alternate (email or number).")],
    leaving: Annotated[bool, typer.Option("--out", help="Mark absent instead.")] = False,
) -> None:
    """Check a delegate or alternate in (or --out); prints the present weight and the quorum."""
    found = _conference(conference)
    delegate = _delegate(found, person)
    try:
        delegations.check_in(delegate=delegate, present=not leaving, by=operator())
    except ActionRefused as refusal:
        raise _refused(refusal) from None
    figures = selectors.presence_of(found)
    state = "present" if not leaving else "absent"
    quorum = "quorum met" if figures.quorate else "no quorum"
    out.print(
        f"{delegate.person.name}: {state}. Present {figures.present_weight} of {figures.seated_weight} seated votes "
        f"(quorum {figures.quorum}): {quorum}."
    )


def credentials(
    conference: Annotated[str, typer.Argument(help="The conference (id).")], as_json: JsonFlag = False
) -> None:
    """The credentials report: the seated delegates (unit, weight, role), the seated weight and the quorum."""
    found = _conference(conference)
    lines, figures = selectors.credentials_report(found)
    if as_json:
        print_json({**figures.as_json(), "seated": [line.as_json() for line in lines]})
        return
    table = Table("name", "unit", Column("weight", justify="right"), "role", "present", "seat of")
    for line in lines:
        table.add_row(line.name, line.unit, str(line.weight), line.role, "yes" if line.present else "no",
                      line.seated_for)  # fmt: skip
    out.print(table)
    out.print(
        f"Seated weight {figures.seated_weight}; quorum {figures.quorum} (more than half); "
        f"present {figures.present_weight}: {'quorum met' if figures.quorate else 'no quorum'}."
    )


def participants(conference: Annotated[str, typer.Argument(help="The conference (id).")]) -> None:
    """The participants as CSV on standard output (name, unit, weight, role, present), for OpenSlides."""
    found = _conference(conference)
    sys.stdout.write(selectors.participants_csv(selectors.participants_of(found)).replace("\r\n", "\n"))
