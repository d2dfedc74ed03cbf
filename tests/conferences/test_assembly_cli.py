"""`grassroots conference motion add`, `poll add|open|close` and `result`: the issue's known
poll (weights 10, 10 and 7) counted from entered totals, and the refusals naming the flag."""

from __future__ import annotations

import json

import pytest

from grassroots.cli import main
from grassroots.conferences.models import Motion, Poll
from tests.support.assembly import in_session, seat
from tests.support.conferences import conference, conference_scene

pytestmark = pytest.mark.django_db


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def session(org):
    found = in_session(conference(conference_scene(org)["federation"]))
    return found, seat(found, {"elm-house": [10, 10], "oak-court": [7]})


def test_poll_by_totals_from_the_terminal(capsys, session):
    found, seated = session
    code, out, err = run(capsys, "conference", "motion", "add", str(found.pk), "--title", "Strike",
                         "--text", "We strike.\\n\\nFrom May.", "--delegate", str(seated["oak-court"][0].pk),
                         "--json")  # fmt: skip
    assert (code, err, json.loads(out)) == (0, "", {"number": 1})
    assert Motion.objects.get().text == "We strike.\n\nFrom May."
    code, out, err = run(capsys, "conference", "poll", "add", str(found.pk), "--subject", "Strike",
                         "--kind", "yes-no-abstain", "--base", "valid", "--majority", "two-thirds", "--totals",
                         "--json")  # fmt: skip
    assert code == 0, err
    poll = json.loads(out)["id"]
    assert run(capsys, "conference", "result", str(poll))[0] == 1
    assert run(capsys, "conference", "poll", "open", str(poll))[0] == 0
    code, out, err = run(capsys, "conference", "poll", "close", str(poll), "--yes", "20", "--no", "7")
    assert code == 0, err
    assert "Yes 20, no 7, abstain 0." in out and "Yes 74.07 %" in out and "Passed" in out
    code, out, err = run(capsys, "conference", "result", str(poll), "--json")
    result = json.loads(out)
    assert (result["yes"], result["no"], result["percent"]["yes"], result["passed"]) == (20, 7, "74.07", True)
    assert sorted(voter["weight"] for voter in result["entitled"]) == [7, 10, 10]
    code, out, err = run(capsys, "conference", "result", str(poll))
    assert code == 0 and "Yes 20, no 7, abstain 0; base 27." in out


def test_refusals_name_the_flag(capsys, session):
    found, _seated = session
    code, out, err = run(capsys, "conference", "poll", "add", str(found.pk), "--subject", "X", "--majority", "most")
    assert code == 1 and err.startswith("error: --majority:") and "Traceback" not in err
    code, out, err = run(capsys, "conference", "poll", "add", str(found.pk), "--motion", "9")
    assert code == 1 and "--motion: no motion 9" in err
    assert run(capsys, "conference", "poll", "open", "999")[2].strip().endswith("no poll 999")
    code, out, err = run(capsys, "conference", "poll", "add", str(found.pk), "--subject", "Named")
    poll = out.strip()
    code, out, err = run(capsys, "conference", "poll", "close", poll)
    assert code == 1 and "only an open poll closes" in err
    code, out, err = run(capsys, "conference", "motion", "add", str(found.pk), "--title", "T", "--text", "x")
    assert code == 1 and "give the unit's decision or the delegate" in err
    assert Poll.objects.count() == 1


def test_an_election_with_a_person_from_the_terminal(capsys, session):
    from grassroots.conferences.models import Election, ElectionBallot
    from tests.support import builders

    found, seated = session
    ben = builders.person(found.organization, "Ben Okafor")
    code, out, err = run(capsys, "conference", "election", "add", str(found.pk), "--title", "Council",
                         "--method", "instant-runoff", "--candidate", "Ada", "--candidate", "Ben",
                         "--person", f"Ben={ben.pk}", "--body", "--json")  # fmt: skip
    assert code == 0, err
    election = Election.objects.get(pk=json.loads(out)["id"])
    assert (election.candidates, election.candidate_people, election.body) == (["Ada", "Ben"], {"Ben": ben.pk}, True)
    assert (
        run(capsys, "conference", "election", "open", str(election.pk))[1]
        == f"Election {election.pk} is open: Council.\n"
    )
    ElectionBallot.objects.create(election=election, delegate=seated["elm-house"][0], choices=["Ben"],
                                  cast_at=election.conference.called_at)  # fmt: skip
    code, out, err = run(capsys, "conference", "election", "close", str(election.pk))
    assert (code, out) == (0, f"Council: elected Ben (person {ben.pk}).\n"), err
    code, out, err = run(capsys, "conference", "election", "add", str(found.pk), "--title", "X", "--candidate", "A",
                         "--person", "A=999999")  # fmt: skip
    assert code == 1 and "--person: no person 999999" in err
    code, out, err = run(capsys, "conference", "election", "add", str(found.pk), "--title", "X", "--candidate", "A",
                         "--candidate", "A")  # fmt: skip
    assert code == 1 and err.startswith("error: --candidate: 'A' is listed twice")
