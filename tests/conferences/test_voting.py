"""Polls: the known value of issue 17, each base and majority, weight splits, proxies, errors
that name the voter, and properties on random polls (hypothesis)."""

import re
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grassroots.conferences.voting import (
    BASES,
    MAJORITIES,
    Poll,
    Proxy,
    Totals,
    Vote,
    Voter,
    VotingError,
    close_poll,
    parse_majority,
)

THREE = [Voter("a", 10), Voter("b", 10), Voter("c", 7)]


def test_the_issue_poll_of_weights_ten_ten_and_seven():
    """Issue 17, "Checks with known values": the two 10s yes, the 7 no → yes 20, no 7,
    74.07 % of valid votes, passes a two-thirds majority."""
    result = close_poll(
        Poll("yes-no-abstain", "valid", "two-thirds"),
        entitled=THREE,
        votes=[Vote("a", "yes"), Vote("b", "yes"), Vote("c", "no")],
    )
    assert (result.yes, result.no, result.abstain, result.base) == (20, 7, 0, 27)
    assert result.share("yes") == Fraction(20, 27)
    assert result.percent("yes") == "74.07" and result.percent("no") == "25.93"
    assert result.percent("abstain") is None  # the base leaves abstentions out
    assert result.threshold == 18 and result.passed
    assert "Yes 74.07 %, no 25.93 %" in result.explanation
    assert "Passed: yes 20 ≥ 18.00 (18 = 2/3 × 27)." in result.explanation
    data = result.as_json()
    assert data["percent"] == {"yes": "74.07", "no": "25.93", "abstain": None}
    assert data["share"]["yes"] == "20/27" and data["passed"] is True
    assert [line["weight"] for line in data["entitled"]] == [10, 10, 7]


def test_the_same_votes_by_show_of_hands():
    result = close_poll(Poll("yes-no", "valid", "two-thirds"), entitled=THREE, totals=Totals(yes=20, no=7))
    assert (result.yes, result.no, result.percent("yes"), result.passed) == (20, 7, "74.07", True)
    assert result.votes is None and result.explanation.startswith("Entered totals (a show of hands counted)")


# Yes 14, no 10, abstain 3 of 27 present, 40 entitled (a 13 absent).
ENTITLED = [Voter("a", 10), Voter("b", 10, delegation="x"), Voter("c", 7), Voter("d", 13, present=False)]
VOTES = [Vote("a", yes=10), Vote("b", yes=4, no=6), Vote("c", no=4, abstain=3)]


@pytest.mark.parametrize(
    ("base", "weight", "yes_percent", "abstain_percent"),
    [
        ("valid", 24, "58.33", None),
        ("cast", 27, "51.85", "11.11"),
        ("present", 27, "51.85", "11.11"),
        ("entitled", 40, "35.00", "7.50"),
    ],
)
def test_each_base(base, weight, yes_percent, abstain_percent):
    result = close_poll(Poll("yes-no-abstain", base, "simple"), entitled=ENTITLED, votes=VOTES)
    assert (result.yes, result.no, result.abstain) == (14, 10, 3)
    assert result.base == weight and result.percent("yes") == yes_percent
    assert result.percent("abstain") == abstain_percent
    assert result.passed  # simple: 14 yes > 10 no, whatever the base
    assert BASES[base] in result.explanation


@pytest.mark.parametrize(
    ("majority", "base", "passed", "verdict"),
    [
        ("simple", "valid", True, "14 > 10"),
        ("absolute", "valid", True, "yes 14 > 12.00 (12 = 1/2 × 24)"),
        ("absolute", "cast", True, "yes 14 > 13.50 (27/2 = 1/2 × 27)"),
        ("absolute", "entitled", False, "yes 14 ≤ 20.00 (20 = 1/2 × 40)"),
        ("two-thirds", "valid", False, "yes 14 < 16.00 (16 = 2/3 × 24)"),
        (Fraction(1, 2), "cast", True, "yes 14 ≥ 13.50"),
        ("7/12", "valid", True, "yes 14 ≥ 14.00 (14 = 7/12 × 24)"),
        ("3/4", "present", False, "yes 14 < 20.25"),
    ],
)
def test_each_majority(majority, base, passed, verdict):
    result = close_poll(Poll("yes-no-abstain", base, majority), entitled=ENTITLED, votes=VOTES)
    assert result.passed is passed
    assert verdict in result.explanation


def test_majorities_at_their_edges():
    """Simple: a tie fails. Absolute: exactly half fails. Two thirds: exactly 2/3 passes."""
    assert not MAJORITIES["simple"].passes(5, 5, 10)
    assert MAJORITIES["simple"].passes(1, 0, 100)  # abstentions do not count against
    assert not MAJORITIES["absolute"].passes(5, 5, 10) and MAJORITIES["absolute"].passes(6, 4, 10)
    assert MAJORITIES["two-thirds"].passes(20, 10, 30) and not MAJORITIES["two-thirds"].passes(19, 11, 30)
    assert not MAJORITIES["absolute"].passes(0, 0, 0)
    assert parse_majority("two-thirds") is MAJORITIES["two-thirds"]
    assert parse_majority(Fraction(3, 4)).describe() == "a majority of 3/4 (yes at least 3/4 of the base)"


@pytest.mark.parametrize(
    ("text", "share"), [("3/4", "3/4"), (" 3/4 ", "3/4"), ("6 / 8", "3/4"), ("1", "1"), ("2/3", "2/3")]
)
def test_a_custom_majority_is_a_fraction_p_over_q_kept_normalized(text, share):
    assert str(parse_majority(text).share) == share


@pytest.mark.parametrize("text", ["1e-9", "0.75", "0/4", "5/4", "3/0", "-1/2", "3/4/5", "", "inf", "nan"])
def test_a_custom_majority_that_is_no_fraction_in_0_to_1_is_refused(text):
    with pytest.raises(VotingError) as refused:
        parse_majority(text)
    assert refused.value.field == "majority"


def test_no_votes_at_all_fails_and_says_why():
    result = close_poll(Poll("yes-no", "valid", "absolute"), entitled=THREE, votes=[])
    assert (result.base, result.passed, result.percent("yes")) == (0, False, None)
    assert "Failed: the base is 0." in result.explanation


def test_a_split_may_leave_part_of_the_weight_uncast():
    result = close_poll(Poll("yes-no-abstain", "cast", "simple"), entitled=THREE, votes=[Vote("a", yes=3, no=2)])
    assert (result.yes, result.no, result.base) == (3, 2, 5)


def test_a_yes_only_poll_against_the_present():
    entitled = [Voter("a", 10), Voter("b", 10), Voter("c", 7, present=False)]
    result = close_poll(Poll("yes", "present", "absolute"), entitled=entitled, votes=[Vote("a", "yes")])
    assert (result.yes, result.base, result.percent("yes"), result.passed) == (10, 20, "50.00", False)


def test_a_proxy_is_cast_by_its_holder_within_the_delegation():
    entitled = [
        Voter("a", 10, delegation="north"),
        Voter("b", 5, present=False, delegation="north"),
        Voter("c", 7, delegation="south"),
    ]
    result = close_poll(
        Poll("yes-no", "valid", "simple"),
        entitled=entitled,
        proxies=[Proxy("b", "a")],
        votes=[Vote("a", "yes"), Vote("c", "no")],
    )
    assert (result.yes, result.no) == (15, 7)
    assert result.counted_proxies == (Proxy("b", "a"),)
    assert "1 proxy counted" in result.explanation
    split = close_poll(
        Poll("yes-no", "valid", "simple"), entitled=entitled, proxies=[Proxy("b", "a")], votes=[Vote("a", yes=9, no=6)]
    )
    assert (split.yes, split.no) == (9, 6)


def test_a_proxy_is_not_counted_while_its_holder_is_absent():
    entitled = [Voter("a", 10, present=False, delegation="north"), Voter("b", 5, delegation="north"), Voter("c", 7)]
    result = close_poll(
        Poll("yes-no", "valid", "simple"), entitled=entitled, proxies=[Proxy("b", "a")], votes=[Vote("c", "yes")]
    )
    assert result.counted_proxies == () and result.yes == 7
    assert "1 not counted (holder absent)" in result.explanation
    with pytest.raises(VotingError, match="totals: 8 votes entered, more than the 7 the present voters carry"):
        close_poll(
            Poll("yes-no", "valid", "simple"), entitled=entitled, proxies=[Proxy("b", "a")], totals=Totals(yes=8)
        )


NORTH = [Voter("a", 10, delegation="north"), Voter("b", 5, delegation="north"), Voter("c", 7, delegation="south")]


@pytest.mark.parametrize(
    ("proxies", "votes", "message", "field"),
    [
        ([Proxy("b", "a")], [Vote("b", "yes")], "voter 'b' gave a proxy to 'a' and cannot vote", "votes"),
        ([Proxy("c", "a")], [], "'c' (south) and 'a' (north) are not of the same delegation", "proxies"),
        ([Proxy("b", "z")], [], "proxy: holder 'z' is not on the entitled list", "proxies"),
        ([Proxy("a", "a")], [], "voter 'a' cannot hold their own proxy", "proxies"),
        ([Proxy("b", "a"), Proxy("b", "a")], [], "voter 'b' gave more than one proxy", "proxies"),
        ([Proxy("b", "a"), Proxy("a", "b")], [], "'a' gave a proxy and cannot hold one", "proxies"),
        ([], [Vote("z", "yes")], "voter 'z' is not on the entitled list", "votes"),
        ([], [Vote("a", "yes"), Vote("a", "no")], "voter 'a' voted twice", "votes"),
        ([], [Vote("a", yes=6, no=5)], "voter 'a': the split adds up to 11, more than the weight 10", "votes"),
        ([], [Vote("a", yes=-1)], "voter 'a' yes: weight must be at least 0, not -1", "votes"),
        ([], [Vote("a", "yes", no=1)], "voter 'a': give a choice or a split, not both", "votes"),
        ([], [Vote("a")], "voter 'a': the vote gives neither a choice nor a split", "votes"),
        ([], [Vote("a", "maybe")], "voter 'a': 'maybe' is not a choice in a yes or no poll", "votes"),
        ([], [Vote("a", abstain=2)], "voter 'a': abstain is not a choice in a yes or no poll", "votes"),
    ],
)
def test_votes_and_proxies_are_refused_naming_the_voter(proxies, votes, message, field):
    with pytest.raises(VotingError, match=re.escape(message)) as refused:
        close_poll(Poll("yes-no", "valid", "simple"), entitled=NORTH, proxies=proxies, votes=votes)
    assert refused.value.field == field


def test_an_absent_voter_cannot_vote():
    with pytest.raises(VotingError, match="voter 'c' is not present"):
        close_poll(Poll("yes-no", "valid", "simple"), entitled=[Voter("c", 7, present=False)], votes=[Vote("c", "no")])


@pytest.mark.parametrize(
    ("make", "message", "field"),
    [
        (lambda: Poll("maybe", "valid", "simple"), "kind: unknown kind 'maybe'", "kind"),
        (lambda: Poll("yes-no", "all", "simple"), "base: unknown base 'all'", "base"),
        (lambda: Poll("yes-no", "valid", "most"), "majority: 'most' is not one of simple, absolute", "majority"),
        (
            lambda: Poll("yes-no", "valid", "3/2"),
            "majority: the share 3/2 must be more than 0 and at most 1",
            "majority",
        ),
        (lambda: Poll("yes", "valid", "absolute"), "base: a yes-only poll counts only yes votes", "base"),
        (lambda: Poll("yes", "present", "simple"), "majority: a yes-only poll has no no-votes", "majority"),
        (
            lambda: close_poll(Poll("yes-no", "valid", "simple"), entitled=THREE),
            "votes: give either the named votes or the entered totals",
            "votes",
        ),
        (
            lambda: close_poll(Poll("yes-no", "valid", "simple"), entitled=[], votes=[]),
            "entitled: the list",
            "entitled",
        ),
        (
            lambda: close_poll(Poll("yes-no", "valid", "simple"), entitled=[Voter("a"), Voter("a")], votes=[]),
            "entitled: voter 'a' is listed twice",
            "entitled",
        ),
        (
            lambda: close_poll(Poll("yes-no", "valid", "simple"), entitled=[Voter("a", 0)], votes=[]),
            "voter 'a': weight must be at least 1, not 0",
            "entitled",
        ),
        (
            lambda: close_poll(Poll("yes-no", "valid", "simple"), entitled=[Voter(" ")], votes=[]),
            "entitled: voter ' ' has no id",
            "entitled",
        ),
        (
            lambda: close_poll(Poll("yes-no", "valid", "simple"), entitled=THREE, totals=Totals(yes=1, abstain=1)),
            "totals: abstain is not a choice in a yes or no poll",
            "abstain",
        ),
    ],
)
def test_bad_polls_are_refused_naming_the_field(make, message, field):
    with pytest.raises(VotingError, match=re.escape(message)) as refused:
        make()
    assert refused.value.field == field


def test_the_result_keeps_its_input_and_its_hash():
    poll = Poll("yes-no-abstain", "valid", "two-thirds")
    votes = [Vote("a", "yes"), Vote("b", "yes"), Vote("c", "no")]
    first = close_poll(poll, entitled=THREE, votes=votes)
    again = close_poll(poll, entitled=list(reversed(THREE)), votes=list(reversed(votes)))
    assert first.entitled == tuple(THREE) and first.votes == tuple(votes)
    assert first.input_sha256 == again.input_sha256 and len(first.input_sha256) == 64
    other = close_poll(poll, entitled=THREE, votes=[Vote("a", "yes"), Vote("b", "no"), Vote("c", "no")])
    assert other.input_sha256 != first.input_sha256 and not other.passed


def test_two_thousand_weighted_named_votes_with_splits_and_proxies():
    """The size of the benchmark's poll (bench/voting.py measures its speed; no timing here):
    delegations of 10, weights 1 to 20, every tenth delegate gives a proxy to the next one,
    every seventh splits 1 no and the rest yes."""
    entitled = [Voter(f"d{n}", 1 + n % 20, delegation=f"unit-{n // 10}") for n in range(2_000)]
    proxies = [Proxy(f"d{n}", f"d{n + 1}") for n in range(0, 2_000, 10)]
    votes = []
    for n in range(2_000):
        if n % 10 == 0:
            continue
        weight = 1 + n % 20 + (1 + (n - 1) % 20 if n % 10 == 1 else 0)
        votes.append(Vote(f"d{n}", yes=weight - 1, no=1) if n % 7 == 0 else Vote(f"d{n}", "yes" if n % 3 else "no"))
    result = close_poll(Poll("yes-no-abstain", "present", "absolute"), entitled=entitled, proxies=proxies, votes=votes)
    assert len(result.counted_proxies) == 200
    assert result.yes + result.no + result.abstain == result.present_weight == sum(1 + n % 20 for n in range(2_000))
    assert result.base == 21_000
    expected_no = sum(
        1 if n % 7 == 0 else (1 + n % 20 + (1 + (n - 1) % 20 if n % 10 == 1 else 0)) * (n % 3 == 0)
        for n in range(2_000)
        if n % 10
    )
    assert result.no == expected_no and result.passed is (2 * result.yes > 21_000)


choices = st.sampled_from(["yes", "no", "abstain"])


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 50), st.booleans(), choices, st.booleans()), min_size=1, max_size=30),
    st.sampled_from(sorted(BASES)),
    st.sampled_from(["simple", "absolute", "two-thirds", "3/5"]),
)
def test_totals_add_up_and_the_verdict_follows_its_definition(lines, base, rule):
    entitled = [Voter(f"v{n}", weight, present) for n, (weight, present, _, _) in enumerate(lines)]
    votes = []
    for n, (weight, present, choice, split) in enumerate(lines):
        if present:
            votes.append(Vote(f"v{n}", yes=weight // 2, no=weight - weight // 2) if split else Vote(f"v{n}", choice))
    result = close_poll(Poll("yes-no-abstain", base, rule), entitled=entitled, votes=votes)
    present = sum(weight for weight, here, _, _ in lines if here)
    assert result.yes + result.no + result.abstain == present == result.present_weight
    assert (
        result.base
        == {
            "valid": result.yes + result.no,
            "cast": present,
            "present": present,
            "entitled": sum(weight for weight, *_ in lines),
        }[base]
    )
    expected = {
        "simple": result.yes > result.no,
        "absolute": result.base > 0 and 2 * result.yes > result.base,
        "two-thirds": result.base > 0 and 3 * result.yes >= 2 * result.base,
        "3/5": result.base > 0 and 5 * result.yes >= 3 * result.base,
    }[rule]
    assert result.passed is expected
    assert ("Passed" if expected else "Failed") in result.explanation
    if result.base:
        assert abs(float(result.percent("yes")) - 100 * result.yes / result.base) <= 0.005 + 1e-9


def test_a_majority_object_and_fractional_weights():
    rule = MAJORITIES["absolute"]
    assert Poll("yes-no", "valid", rule).majority is rule
    with pytest.raises(VotingError, match=re.escape("voter 'a': weight 2.5 is not a whole number")) as refused:
        close_poll(Poll("yes-no", "valid", rule), entitled=[Voter("a", 2.5)], votes=[])  # type: ignore[arg-type]
    assert refused.value.field == "entitled"


def test_a_voter_who_may_not_split_casts_all_their_votes_one_way():
    """Issue 17: a delegation chair casts votes that cannot be split."""
    entitled = [Voter("chair", 12, may_split=False), Voter("b", 3)]
    poll = Poll("yes-no-abstain", "cast", "simple")
    whole = close_poll(poll, entitled=entitled, votes=[Vote("chair", yes=12), Vote("b", no=2, abstain=1)])
    assert (whole.yes, whole.no, whole.abstain) == (12, 2, 1)
    assert whole.as_json()["votes"] == [
        {"voter": "chair", "yes": 12, "no": 0, "abstain": 0},
        {"voter": "b", "yes": 0, "no": 2, "abstain": 1},
    ]
    for split in (Vote("chair", yes=6, no=6), Vote("chair", yes=11)):
        with pytest.raises(VotingError, match="voter 'chair' casts all 12 votes one way and cannot split them"):
            close_poll(poll, entitled=entitled, votes=[split])


def test_a_yes_only_poll_shows_only_yes():
    entitled = [Voter("a", 10), Voter("b", 10)]
    result = close_poll(Poll("yes", "entitled", "two-thirds"), entitled=entitled, totals=Totals(yes=15))
    assert result.percent("no") is None and result.percent("abstain") is None
    assert "Yes 75.00 %." in result.explanation and result.passed
