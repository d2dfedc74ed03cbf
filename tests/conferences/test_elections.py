"""Elections: published counts (instant runoff and STV with known rounds), plurality and
approval, weighted ballots, ties broken by earlier rounds and by a seeded lot, errors naming
the voter, and instant runoff cross-checked against `pyrankvote` (a test-only oracle) on
random ballots without ties."""

import re
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pyrankvote import Ballot as OracleBallot
from pyrankvote import Candidate, instant_runoff_voting

from grassroots.conferences.voting import Ballot, VotingError, elect

CITIES = ("Memphis", "Nashville", "Chattanooga", "Knoxville")
# The "Tennessee example" of Wikipedia's "Instant-runoff voting" (and electowiki's
# "Tennessee example"): each group's ranking and its share of the voters, in percent.
TENNESSEE = [
    (("Memphis", "Nashville", "Chattanooga", "Knoxville"), 42),
    (("Nashville", "Chattanooga", "Knoxville", "Memphis"), 26),
    (("Chattanooga", "Knoxville", "Nashville", "Memphis"), 15),
    (("Knoxville", "Chattanooga", "Nashville", "Memphis"), 17),
]


def votes(count, round_number):
    return {name: value for name, value in count.rounds[round_number - 1].votes.items()}


def test_instant_runoff_the_tennessee_example():
    """Published count: Chattanooga (15) out, then Nashville (26), Knoxville wins 58 to 42.
    Each group is one weighted ballot, so this is also the weighted count."""
    ballots = [Ballot(ranking[0], ranking, weight) for ranking, weight in TENNESSEE]
    result = elect("instant-runoff", candidates=CITIES, ballots=ballots)
    assert result.elected == ("Knoxville",)
    assert votes(result, 1) == {"Memphis": 42, "Nashville": 26, "Chattanooga": 15, "Knoxville": 17}
    assert votes(result, 2) == {"Memphis": 42, "Nashville": 26, "Knoxville": 32}
    assert votes(result, 3) == {"Memphis": 42, "Knoxville": 58}
    assert [count.excluded for count in result.rounds] == [("Chattanooga",), ("Nashville",), ()]
    assert "Round 3: Memphis 42.0000, Knoxville 58.0000. Elected: Knoxville." in result.explanation
    # The same 100 voters one by one count the same.
    each = [Ballot(f"{ranking[0]}-{n}", ranking) for ranking, weight in TENNESSEE for n in range(weight)]
    assert elect("instant-runoff", candidates=CITIES, ballots=each).rounds == result.rounds


def test_plurality_and_approval_in_tennessee():
    """Plurality elects Memphis (42 first preferences); approval of each group's first two
    choices elects Nashville (42 + 26 = 68), and two seats add Chattanooga (26 + 15 + 17 = 58)."""
    firsts = [Ballot(ranking[0], ranking[:1], weight) for ranking, weight in TENNESSEE]
    assert elect("plurality", candidates=CITIES, ballots=firsts).elected == ("Memphis",)
    twos = [Ballot(ranking[0], ranking[:2], weight) for ranking, weight in TENNESSEE]
    approval = elect("approval", candidates=CITIES, ballots=twos)
    assert approval.elected == ("Nashville",)
    assert votes(approval, 1) == {"Memphis": 42, "Nashville": 68, "Chattanooga": 58, "Knoxville": 32}
    block = elect("plurality", candidates=CITIES, ballots=twos, seats=2)
    assert block.elected == ("Nashville", "Chattanooga") and block.ties == ()


def food_ballots():
    """The food election of Wikipedia's "Single transferable vote" article (Example): 20
    voters, 3 seats."""
    groups = [
        (("Oranges",), 4),
        (("Pears", "Oranges"), 2),
        (("Chocolate", "Strawberries"), 8),
        (("Chocolate", "Sweets"), 4),
        (("Strawberries",), 1),
        (("Sweets",), 1),
    ]
    return [Ballot(f"{ranking}-{n}", ranking) for ranking, size in groups for n in range(size)]


def test_stv_the_food_election():
    """Published rounds: Droop quota 6; Chocolate elected with 12, its surplus of 6 goes 4 to
    Strawberries and 2 to Sweets; Pears out, Oranges reach 6 and are elected; Sweets out,
    Strawberries take the last seat. Winners: Chocolate, Oranges, Strawberries."""
    candidates = ("Oranges", "Pears", "Chocolate", "Strawberries", "Sweets")
    result = elect("stv", candidates=candidates, ballots=food_ballots(), seats=3)
    assert result.quota == 6 and result.valid == 20
    assert result.elected == ("Chocolate", "Oranges", "Strawberries")
    assert votes(result, 1) == {"Oranges": 4, "Pears": 2, "Chocolate": 12, "Strawberries": 1, "Sweets": 1}
    assert votes(result, 2) == {"Oranges": 4, "Pears": 2, "Chocolate": 6, "Strawberries": 5, "Sweets": 3}
    assert votes(result, 3) == {"Oranges": 6, "Chocolate": 6, "Strawberries": 5, "Sweets": 3}
    assert [count.elected for count in result.rounds] == [("Chocolate",), (), ("Oranges",), ("Strawberries",)]
    assert [count.excluded for count in result.rounds] == [(), ("Pears",), ("Sweets",), ()]
    assert result.rounds[0].transfer == "Surplus of Chocolate (6.0000) transferred at 1/2 of each ballot's value."
    assert result.rounds[3].exhausted == 3  # Sweets' 3: the Chocolate-Sweets ballots at 1/2 and the one alone
    assert "Droop quota 6" in result.rule and result.explanation.endswith("Elected: Chocolate, Oranges, Strawberries.")


def test_stv_the_droop_quota_example():
    """Wikipedia's "Droop quota" / "Counting single transferable votes" example: 57 voters,
    2 seats, quota 20. Andrea has 40 and is elected; her surplus of 20 goes 12 to Carter and 8
    to Brad; Brad is excluded and his 8 go to Carter, who reaches 20 and fills the second seat."""
    ballots = (
        [Ballot(f"abcd-{n}", ("Andrea", "Brad", "Carter", "Delilah")) for n in range(16)]
        + [Ballot(f"acbd-{n}", ("Andrea", "Carter", "Brad", "Delilah")) for n in range(24)]
        + [Ballot(f"dabc-{n}", ("Delilah", "Andrea", "Brad", "Carter")) for n in range(17)]
    )
    result = elect("stv", candidates=("Andrea", "Brad", "Carter", "Delilah"), ballots=ballots, seats=2)
    assert result.quota == 20
    assert votes(result, 2) == {"Andrea": 20, "Brad": 8, "Carter": 12, "Delilah": 17}
    assert votes(result, 3) == {"Andrea": 20, "Carter": 20, "Delilah": 17}
    assert result.elected == ("Andrea", "Carter")


def test_stv_transfers_stay_exact_with_weights():
    """Weights 3 and 2 of one surplus: a third of 7 is passed on, kept as a fraction."""
    ballots = [Ballot("a", ("X", "Y"), 5), Ballot("b", ("X", "Z"), 2), Ballot("c", ("Y",), 1), Ballot("d", ("Z",), 1)]
    result = elect("stv", candidates=("X", "Y", "Z"), ballots=ballots, seats=2)
    # valid 9, quota 9 // 3 + 1 = 4; X has 7, surplus 3 at 3/7: Y gets 1 + 15/7, Z gets 1 + 6/7.
    assert result.quota == 4
    assert votes(result, 2) == {"X": 4, "Y": 1 + Fraction(15, 7), "Z": 1 + Fraction(6, 7)}
    assert result.elected == ("X", "Y")


def test_an_exclusion_tie_is_broken_by_the_earlier_round():
    """D (1) goes out first and passes to C; then B and C tie at 3, and in round 1 C had fewer
    (2 to 3), so C goes out."""
    ballots = [
        Ballot("a1", ("A",), 6),
        Ballot("b1", ("B",), 3),
        Ballot("c1", ("C", "B"), 2),
        Ballot("d1", ("D", "C"), 1),
        Ballot("e1", ("E", "B"), 4),
    ]
    result = elect("instant-runoff", candidates=("A", "B", "C", "D", "E"), ballots=ballots)
    assert votes(result, 2)["B"] == 3 and votes(result, 2)["C"] == 3
    assert result.rounds[1].excluded == ("C",)
    assert [tie.as_json() for tie in result.ties] == [
        {
            "candidates": ["C", "B"],
            "chosen": ["C"],
            "outcome": "excluded",
            "decided_by": "earlier round",
            "votes": "3.0000",
            "round": 2,
        }
    ]


def test_a_tie_without_history_is_drawn_by_lot_from_the_seed():
    ballots = [Ballot("a", ("A",)), Ballot("b", ("B",))]
    drawn = {elect("plurality", candidates=("A", "B"), ballots=ballots, seed=seed).elected for seed in range(20)}
    assert drawn == {("A",), ("B",)}  # the lot decides, and different seeds draw differently
    result = elect("plurality", candidates=("A", "B"), ballots=ballots, seed=7)
    assert result == elect("plurality", candidates=("A", "B"), ballots=ballots, seed=7)
    assert result.ties[0].decided_by == "lot" and result.ties[0].chosen == result.elected
    assert "decided by lot" in result.explanation
    default = elect("instant-runoff", candidates=("A", "B"), ballots=ballots)
    assert default.seed == default.input_sha256 and default.ties[0].outcome == "excluded"


def test_equal_surpluses_are_transferred_in_an_order_drawn_by_lot():
    """X and Y reach the quota of 4 together with 5 each; which surplus goes first is drawn and
    listed, and decides the exclusion tie after it (by the round where Z and W differed)."""
    ballots = [
        Ballot("x", ("X", "Z"), 5),
        Ballot("y", ("Y", "W"), 5),
        Ballot("z", ("Z",), 1),
        Ballot("w", ("W",), 1),
    ]
    outcomes = set()
    for seed in range(12):
        result = elect("stv", candidates=("X", "Y", "Z", "W"), ballots=ballots, seats=3, seed=seed)
        first, exclusion = result.ties
        assert (first.outcome, first.decided_by, first.votes) == ("surplus transferred first", "lot", 5)
        assert (exclusion.outcome, exclusion.decided_by, exclusion.round) == ("excluded", "earlier round", 3)
        # The one whose voters' surplus came second had fewer votes in round 2 and goes out.
        assert exclusion.chosen == ({"X": "W", "Y": "Z"}[first.chosen[0]],)
        assert set(result.elected[:2]) == {"X", "Y"} and len(result.elected) == 3
        outcomes.add(first.chosen)
    assert outcomes == {("X",), ("Y",)}


def test_blank_ballots_are_counted_apart():
    ballots = [Ballot("a", ("A",), 3), Ballot("b", (), 2), Ballot("c", ("B",), 1)]
    result = elect("stv", candidates=("A", "B", "C"), ballots=ballots, seats=1)
    assert (result.valid, result.blank, result.quota, result.elected) == (4, 2, 3, ("A",))
    assert result.as_json()["blank"] == 2


def test_the_result_keeps_its_input_and_its_hash():
    ballots = food_ballots()
    candidates = ("Oranges", "Pears", "Chocolate", "Strawberries", "Sweets")
    first = elect("stv", candidates=candidates, ballots=ballots, seats=3)
    again = elect("stv", candidates=candidates[::-1], ballots=ballots[::-1], seats=3)
    assert first.ballots == tuple(ballots) and first.input_sha256 == again.input_sha256
    assert first.elected == again.elected
    data = first.as_json()
    assert data["quota"] == "6.0000" and data["rounds"][1]["votes_exact"]["Strawberries"] == "5"
    assert len(data["ballots"]) == 20


@pytest.mark.parametrize("method", ["plurality", "approval", "instant-runoff", "stv"])
@pytest.mark.parametrize("ballots", [[], [Ballot("v", ()), Ballot("w", (), 3)]], ids=["none", "blank"])
def test_an_election_with_no_ballot_marking_a_candidate_elects_nobody(method, ballots):
    """An election nobody voted in (or only blank) still counts: nobody is elected, and says so."""
    result = elect(method, candidates=("A", "B"), ballots=ballots, seats=1)
    assert (result.elected, result.valid, result.rounds) == ((), 0, ())
    assert result.blank == (4 if ballots else 0)
    assert result.explanation.endswith(
        f"no ballot marks a candidate.\nValid votes 0, blank {result.blank}.\nNobody is elected."
    )
    assert result.as_json()["elected"] == []


@pytest.mark.parametrize(
    ("method", "kwargs", "message", "field"),
    [
        ("borda", {}, "method: unknown method 'borda'", "method"),
        ("stv", {"seats": 0}, "seats: weight must be at least 1, not 0", "seats"),
        ("stv", {"seats": 4}, "seats: 4 seats but only 3 candidate(s)", "seats"),
        ("instant-runoff", {"seats": 2}, "seats: instant runoff fills one seat", "seats"),
        ("stv", {"candidates": ("A", "A")}, "candidates: 'A' is listed twice", "candidates"),
        ("stv", {"candidates": ()}, "candidates: there are no candidates", "candidates"),
        ("stv", {"candidates": ("A", "")}, "candidates: '' is not a name", "candidates"),
        ("stv", {"ballots": [Ballot("v", ("Z",))]}, "voter 'v': 'Z' is not a candidate", "ballots"),
        ("stv", {"ballots": [Ballot("v", ("A", "A"))]}, "voter 'v': a candidate is marked more than once", "ballots"),
        (
            "stv",
            {"ballots": [Ballot("v", ("A",)), Ballot("v", ("B",))]},
            "voter 'v' has more than one ballot",
            "ballots",
        ),
        ("stv", {"ballots": [Ballot("v", ("A",), 0)]}, "voter 'v': weight must be at least 1, not 0", "ballots"),
        ("stv", {"ballots": [Ballot("", ("A",))]}, "ballots: a ballot's voter '' has no id", "ballots"),
        ("plurality", {"ballots": [Ballot("v", ("A", "B"))]}, "voter 'v': 2 candidates marked, at most 1", "ballots"),
    ],
)
def test_bad_elections_are_refused_naming_the_voter_or_parameter(method, kwargs, message, field):
    arguments = {"candidates": ("A", "B", "C"), "ballots": [Ballot("v", ("A",))], "seats": 1} | kwargs
    with pytest.raises(VotingError, match=re.escape(message)) as refused:
        elect(method, **arguments)
    assert refused.value.field == field


NAMES = ("A", "B", "C", "D", "E")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.permutations(NAMES), min_size=1, max_size=41).filter(lambda ballots: len(ballots) % 2 == 1))
def test_instant_runoff_agrees_with_pyrankvote(rankings):
    """Full rankings and an odd number of voters (pyrankvote elects with exactly half), and
    only counts without ties (pyrankvote breaks them its own way)."""
    ballots = [Ballot(f"v{n}", tuple(ranking)) for n, ranking in enumerate(rankings)]
    result = elect("instant-runoff", candidates=NAMES, ballots=ballots)
    assume(not result.ties)
    for count in result.rounds:  # no tie for last place, even where the rule would not need one
        assume(len(set(count.votes.values())) == len(count.votes) or count.elected)
    people = {name: Candidate(name) for name in NAMES}
    oracle = instant_runoff_voting(
        list(people.values()), [OracleBallot([people[name] for name in ranking]) for ranking in rankings]
    )
    assert [candidate.name for candidate in oracle.get_winners()] == list(result.elected)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.permutations(NAMES), st.integers(0, 5), st.integers(1, 9)), min_size=1, max_size=30),
    st.integers(1, 4),
)
def test_stv_fills_the_seats_and_keeps_the_votes(lines, seats):
    """Every count fills its seats with distinct candidates, and in every round the votes of
    the candidates plus the exhausted ones add up to the valid votes exactly."""
    ballots = [
        Ballot(f"v{n}", tuple(ranking[: length or 1]), weight) for n, (ranking, length, weight) in enumerate(lines)
    ]
    result = elect("stv", candidates=NAMES, ballots=ballots, seats=seats)
    assert len(result.elected) == seats == len(set(result.elected))
    for count in result.rounds:
        assert sum(count.votes.values()) + count.exhausted == result.valid
    assert all(result.rounds[-1].votes[name] >= 0 for name in result.elected)
    if seats == 1:
        # One seat: the same exclusions as instant runoff (same seed, same tie rules), and a
        # candidate with a majority of the votes in the count is never the one excluded.
        assert elect("instant-runoff", candidates=NAMES, ballots=ballots, seed=result.seed).elected == result.elected
