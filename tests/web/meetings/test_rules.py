"""The decision rule on N, never on codes or turnout: majorities, quorums and outcomes (no app needed)."""
import pytest

from survey_app.results.decisions import decide, quorum_needed, votes_needed


@pytest.mark.parametrize("members, ordinary, especially_major", [(6, 4, 4), (7, 4, 5), (8, 5, 6), (9, 5, 6)])
def test_votes_needed(members, ordinary, especially_major):
    assert votes_needed("ordinary", members) == ordinary
    assert votes_needed("personnel", members) == ordinary
    assert votes_needed("especially_major", members) == especially_major


@pytest.mark.parametrize("members, half, two_thirds, three_quarters", [
    (6, 4, 4, 5), (7, 4, 5, 6), (8, 5, 6, 6), (9, 5, 6, 7), (1, 1, 1, 1)])
def test_quorum_needed(members, half, two_thirds, three_quarters):
    assert quorum_needed("more_than_half", members) == half
    assert quorum_needed("two_thirds", members) == two_thirds
    assert quorum_needed("three_quarters", members) == three_quarters
    assert quorum_needed("all", members) == members


@pytest.mark.parametrize("members", [6, 7, 8, 9])
@pytest.mark.parametrize("kind", ["ordinary", "especially_major", "personnel"])
def test_passes_exactly_at_the_threshold_when_everyone_votes(members, kind):
    needed = votes_needed(kind, members)
    rule = "two_thirds" if kind == "personnel" else "more_than_half"
    assert decide(kind, members, members, needed, rule).outcome == "passed"
    assert decide(kind, members, members, needed - 1, rule).outcome == "not_passed"


@pytest.mark.parametrize("members, voted, rule, outcome", [
    (9, 5, "more_than_half", "passed"),        # quorum exactly met: 5 of 9, all 5 agree
    (9, 4, "more_than_half", "not_decided"),   # one short of the quorum
    (8, 5, "more_than_half", "passed"),        # 5 of 8 is more than half
    (8, 4, "more_than_half", "not_decided"),   # half of 8 is not more than half
    (9, 6, "two_thirds", "passed"),            # personnel: 6 of 9 is two thirds
    (9, 5, "two_thirds", "not_decided"),
    (6, 4, "two_thirds", "passed"),
    (6, 3, "two_thirds", "not_decided"),
])
def test_quorum_met_or_missed(members, voted, rule, outcome):
    decided = decide("ordinary" if rule == "more_than_half" else "personnel", members, voted, voted, rule)
    assert decided.outcome == outcome
    assert decided.quorum_met is (outcome != "not_decided")


def test_not_decided_is_not_not_passed():
    # Every present member agrees, but too few came: not decided, whatever the agreement.
    assert decide("ordinary", 9, 4, 4, "more_than_half").outcome == "not_decided"
    # Enough came, too few agreed: decided, and not passed.
    assert decide("ordinary", 9, 9, 4, "more_than_half").outcome == "not_passed"


def test_abstentions_and_blanks_count_against():
    # 9 members, all vote: 4 agree, 5 abstain or leave it blank -> 4 < 5 needed
    assert decide("ordinary", 9, 9, 4, "more_than_half").outcome == "not_passed"


def test_more_ballots_than_members_decide_nothing():
    assert decide("ordinary", 7, 8, 8, "more_than_half").outcome == "not_decided"


@pytest.mark.parametrize("kind, rule", [("secret", "more_than_half"), ("ordinary", "most")])
def test_unknown_codes_are_refused(kind, rule):
    with pytest.raises(ValueError):
        decide(kind, 9, 9, 9, rule)
