"""`grassroots conference motion|poll|result ...`: a conference's motions and polls from the
terminal (the operator acts as an organizer). A refusal prints one line naming the flag (or the
rule) and exits non-zero; nothing is written."""

from __future__ import annotations

from typing import Annotated

import typer
from django.http import Http404

from grassroots.cli.common import JsonFlag, Refusal, operator, out, print_json
from grassroots.errors import ActionRefused
from grassroots.ids import is_row_id

from . import assembly, selectors
from .models import Election, Poll

FLAGS = {"subject": "--subject", "kind": "--kind", "base": "--base", "majority": "--majority", "title": "--title",
         "text": "--text", "delegate": "--delegate", "motion": "--motion", "totals": "--yes/--no/--abstain",
         "yes": "--yes", "no": "--no", "abstain": "--abstain", "candidates": "--candidate",
         "people": "--person"}  # fmt: skip

poll_app = typer.Typer(help="Polls of a conference: add, open, close.", no_args_is_help=True)
motion_app = typer.Typer(help="Motions of a conference.", no_args_is_help=True)
election_app = typer.Typer(help="Elections of a conference: add, open, close.", no_args_is_help=True)


def _refused(refusal: ActionRefused) -> Refusal:
    from .cli import _refused as refused  # the conference commands' (their flags include FLAGS)

    return refused(refusal)


def _act(action, **arguments):
    """Run `action` as the operator; a refusal becomes one line naming the flag."""
    try:
        return action(by=operator(), **arguments)
    except ActionRefused as refusal:
        raise _refused(refusal) from None


def _print_id(row, as_json: bool) -> None:
    if as_json:
        print_json({"id": row.pk})
    else:
        out.print(row.pk)


def _poll(ref: str) -> Poll:
    found = Poll.objects.filter(pk=ref).select_related("conference__unit").first() if is_row_id(ref) else None
    if found is None:
        raise Refusal(f"no poll {ref}")
    return found


def _conference(ref: str):
    from .cli import _conference as conference

    return conference(ref)


@poll_app.command("add")
def poll_add(
    conference: Annotated[str, typer.Argument(help="The conference (id).")],
    subject: Annotated[str, typer.Option("--subject", help="What is put to the vote.")] = "",
    kind: Annotated[str, typer.Option("--kind", help="yes-no-abstain | yes-no | yes")] = "yes-no-abstain",
    base: Annotated[str, typer.Option("--base", help="valid | cast | entitled | present")] = "valid",
    majority: Annotated[str, typer.Option("--majority", help="simple | absolute | two-thirds | a fraction")] = "simple",
    motion: Annotated[int | None, typer.Option("--motion", help="The motion's number.")] = None,
    totals: Annotated[bool, typer.Option("--totals", help="Counted by totals entered at the close.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Prepare a poll (draft) of CONFERENCE; prints its id (or {"id": n})."""
    found = _conference(conference)
    try:
        on = selectors.motion_in(found, motion) if motion is not None else None
    except Http404:
        raise Refusal(f"--motion: no motion {motion} in conference {found.pk}") from None
    poll = _act(assembly.add_poll, conference=found, kind=kind, base=base, majority=majority, subject=subject,
                motion=on, named=not totals)  # fmt: skip
    _print_id(poll, as_json)


@poll_app.command("open")
def poll_open(poll: Annotated[str, typer.Argument(help="The poll (id).")]) -> None:
    """Open a draft poll for the delegates' votes."""
    opened = _act(assembly.open_poll, poll=_poll(poll))
    out.print(f"Poll {opened.pk} is open: {opened.subject}.")


@poll_app.command("close")
def poll_close(
    poll: Annotated[str, typer.Argument(help="The poll (id).")],
    yes: Annotated[int | None, typer.Option("--yes", help="Yes entered (a poll by totals).")] = None,
    no: Annotated[int, typer.Option("--no", help="No entered.")] = 0,
    abstain: Annotated[int, typer.Option("--abstain", help="Abstentions entered.")] = 0,
) -> None:
    """Close an open poll: count it and freeze the entitled list and the result."""
    totals = None if yes is None else {"yes": yes, "no": no, "abstain": abstain}
    try:
        closed = assembly.close_poll(poll=_poll(poll), by=operator(), totals=totals)
    except ActionRefused as refusal:
        raise _refused(refusal) from None
    assert closed.result is not None
    out.print(closed.result["explanation"])


def conference_result(poll: Annotated[str, typer.Argument(help="The poll (id).")], as_json: JsonFlag = False) -> None:
    """A closed poll's result: the count in words, or its stored JSON with the entitled list."""
    found = _poll(poll)
    if found.result is None:
        raise Refusal(f"poll {found.pk} is {found.state}; a result comes with the close")
    if as_json:
        print_json({**found.result, "entitled": found.entitled, "proxies": found.proxies})
        return
    result = found.result
    out.print(f"{found.subject}")
    out.print(f"Yes {result['yes']}, no {result['no']}, abstain {result['abstain']}; base {result['base_weight']}.")
    out.print(result["explanation"])


@motion_app.command("add")
def motion_add(
    conference: Annotated[str, typer.Argument(help="The conference (id).")],
    title: Annotated[str, typer.Option("--title", help="The motion's title.")],
    text: Annotated[str, typer.Option("--text", help="Its text; paragraphs separated by a blank line.")],
    delegate: Annotated[int | None, typer.Option("--delegate", help="The submitting delegate (id).")] = None,
    decision: Annotated[int | None, typer.Option("--decision", help="The unit's carried decision (id).")] = None,
    founding: Annotated[bool, typer.Option("--founding", help="The resolution founding the top unit.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Submit a motion to CONFERENCE by a unit (--decision) or a delegate (--delegate); prints
    its number (or {"number": n})."""
    from grassroots.meetings.models import Decision

    from .models import Delegate

    found = _conference(conference)
    by_delegate = Delegate.objects.filter(conference=found, pk=delegate).first() if delegate else None
    if delegate and by_delegate is None:
        raise Refusal(f"--delegate: no delegate {delegate} in conference {found.pk}")
    by_unit = Decision.objects.filter(pk=decision).select_related("meeting__unit").first() if decision else None
    if decision and by_unit is None:
        raise Refusal(f"--decision: no decision {decision}")
    try:
        motion = assembly.add_motion(conference=found, title=title, text=text.replace("\\n", "\n"), by=operator(),
                                     decision=by_unit, delegate=by_delegate, founding=founding)  # fmt: skip
    except ActionRefused as refusal:
        raise _refused(refusal) from None
    if as_json:
        print_json({"number": motion.number})
    else:
        out.print(motion.number)


def _election(ref: str) -> Election:
    found = Election.objects.filter(pk=ref).select_related("conference__unit").first() if is_row_id(ref) else None
    if found is None:
        raise Refusal(f"no election {ref}")
    return found


def _people(found, pairs: list[str]) -> dict:
    """`--person NAME=ID` pairs as candidate name -> Person of the conference's organization."""
    from grassroots.people.models import Person

    wanted: dict[str, str] = {}
    for pair in pairs:
        name, _sep, pk = pair.rpartition("=")
        if not name.strip() or not is_row_id(pk.strip()):
            raise Refusal(f"--person: {pair!r} is not NAME=PERSON_ID")
        wanted[name.strip()] = pk.strip()
    people = Person.objects.filter(organization=found.organization, pk__in=list(wanted.values()))
    by_pk = {str(person.pk): person for person in people}
    for name, pk in wanted.items():
        if pk not in by_pk:
            raise Refusal(f"--person: no person {pk} in {found.organization.name} (for {name!r})")
    return {name: by_pk[pk] for name, pk in wanted.items()}


@election_app.command("add")
def election_add(
    conference: Annotated[str, typer.Argument(help="The conference (id).")],
    title: Annotated[str, typer.Option("--title", help="What is elected.")],
    candidate: Annotated[list[str], typer.Option("--candidate", help="A candidate's name (repeat the flag).")],
    method: Annotated[str, typer.Option("--method", help="plurality | approval | instant-runoff | stv")] = "plurality",
    seats: Annotated[int, typer.Option("--seats", help="Seats to fill.")] = 1,
    person: Annotated[
        list[str] | None, typer.Option("--person", help="NAME=PERSON_ID: a candidate who is that person.")
    ] = None,
    body: Annotated[bool, typer.Option("--body", help="It elects the top unit's leading body.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Prepare an election (draft) of CONFERENCE; prints its id (or {"id": n})."""
    found = _conference(conference)
    election = _act(assembly.add_election, conference=found, title=title, method=method, candidates=candidate,
                    seats=seats, body=body, people=_people(found, person or []))  # fmt: skip
    _print_id(election, as_json)


@election_app.command("open")
def election_open(election: Annotated[str, typer.Argument(help="The election (id).")]) -> None:
    """Open a draft election for the delegates' ballots."""
    opened = _act(assembly.open_election, election=_election(election))
    out.print(f"Election {opened.pk} is open: {opened.title}.")


@election_app.command("close")
def election_close(
    election: Annotated[str, typer.Argument(help="The election (id).")], as_json: JsonFlag = False
) -> None:
    """Close an open election and count it; prints who was elected (or the result's JSON)."""
    closed = _act(assembly.close_election, election=_election(election))
    if as_json:
        print_json({**(closed.result or {}), "candidate_people": closed.candidate_people})
        return
    elected = [f"{name} (person {pk})" if pk else name for name, pk in assembly.elected_people(closed)]
    out.print(f"{closed.title}: elected {', '.join(elected) or 'no one'}.")
