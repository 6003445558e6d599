"""The rules of pledges, joint-meeting decisions and ventures, without I/O."""

from datetime import date, timedelta

from gongjian_activities.domain.commitments import (
    DecisionStatus,
    PledgeStatus,
    VentureKind,
    can_fulfil,
    can_move_decision,
    count_problems,
    decision_due_problem,
    decision_overdue,
    decision_refusal,
    fulfilment_problems,
    lapses,
    missing_families,
    on_time,
    pledge_problems,
    pledge_refusal,
    venture_leader_problem,
    venture_problems,
)

TODAY = date(2026, 11, 27)


def fields(problems):
    return [p[0] for p in problems]


def test_a_pledge_needs_content_and_a_due_day_after_it_was_made():
    assert pledge_problems("每月走访困难职工", TODAY, TODAY + timedelta(days=30), TODAY) == []
    assert fields(pledge_problems("  ", TODAY, TODAY + timedelta(days=1), TODAY)) == ["content"]
    assert fields(pledge_problems("x" * 501, TODAY, TODAY + timedelta(days=1), TODAY)) == [
        "content"
    ]
    assert fields(pledge_problems("承诺", TODAY, TODAY, TODAY)) == ["dueOn"]
    assert fields(pledge_problems("承诺", TODAY, TODAY - timedelta(days=3), TODAY)) == ["dueOn"]


def test_a_pledge_is_not_made_in_the_future_and_every_problem_is_named():
    tomorrow = TODAY + timedelta(days=1)
    assert fields(pledge_problems("", tomorrow, TODAY, TODAY)) == ["content", "madeOn", "dueOn"]
    # Made earlier (a paper register) is fine.
    assert pledge_problems("承诺", TODAY - timedelta(days=40), TODAY, TODAY) == []


def test_fulfilment_needs_evidence_on_a_day_between_the_pledge_and_today():
    made = TODAY - timedelta(days=10)
    assert fulfilment_problems("走访12户，见活动记录", TODAY, made, TODAY) == []
    assert fields(fulfilment_problems("", TODAY, made, TODAY)) == ["evidence"]
    assert fields(fulfilment_problems("x" * 2001, TODAY, made, TODAY)) == ["evidence"]
    assert fields(fulfilment_problems("ok", TODAY + timedelta(days=1), made, TODAY)) == [
        "fulfilledOn"
    ]
    assert fields(fulfilment_problems("ok", made - timedelta(days=1), made, TODAY)) == [
        "fulfilledOn"
    ]


def test_a_lapsed_pledge_may_still_be_fulfilled_once_late():
    assert can_fulfil(PledgeStatus.MADE)
    assert can_fulfil(PledgeStatus.LAPSED)
    assert not can_fulfil(PledgeStatus.FULFILLED)
    zh, en = pledge_refusal(PledgeStatus.FULFILLED)
    assert "已践诺" in zh
    assert "FULFILLED" in en


def test_a_pledge_lapses_the_day_after_its_due_day():
    due = TODAY
    assert not lapses(PledgeStatus.MADE, due, TODAY)
    assert lapses(PledgeStatus.MADE, due, TODAY + timedelta(days=1))
    assert not lapses(PledgeStatus.FULFILLED, due, TODAY + timedelta(days=1))
    assert not lapses(PledgeStatus.LAPSED, due, TODAY + timedelta(days=1))


def test_on_time_means_by_the_end_of_the_due_day():
    assert on_time(TODAY, TODAY)
    assert on_time(TODAY, TODAY - timedelta(days=1))
    assert not on_time(TODAY, TODAY + timedelta(days=1))


def test_decisions_move_only_from_open():
    assert can_move_decision(DecisionStatus.OPEN, DecisionStatus.DONE)
    assert can_move_decision(DecisionStatus.OPEN, DecisionStatus.DROPPED)
    for done in (DecisionStatus.DONE, DecisionStatus.DROPPED):
        for target in (DecisionStatus.DONE, DecisionStatus.DROPPED, DecisionStatus.OPEN):
            assert not can_move_decision(done, target)
    assert not can_move_decision(DecisionStatus.OPEN, DecisionStatus.OPEN)
    zh, en = decision_refusal(DecisionStatus.DROPPED, DecisionStatus.DONE)
    assert "已撤销" in zh
    assert en == "A decision that is DROPPED cannot be completed"


def test_an_open_decision_is_overdue_after_its_due_day():
    assert not decision_overdue(DecisionStatus.OPEN, TODAY, TODAY)
    assert decision_overdue(DecisionStatus.OPEN, TODAY, TODAY + timedelta(days=1))
    assert not decision_overdue(DecisionStatus.DONE, TODAY, TODAY + timedelta(days=1))
    assert not decision_overdue(DecisionStatus.DROPPED, TODAY, TODAY + timedelta(days=1))


def test_a_decision_is_due_no_earlier_than_its_meeting():
    assert decision_due_problem(TODAY, TODAY, "decisions[0].") is None
    found = decision_due_problem(TODAY - timedelta(days=1), TODAY, "decisions[2].")
    assert found is not None
    assert found[0] == "decisions[2].dueOn"


def test_the_four_families_missing_from_a_meeting():
    assert missing_families({"PARTY", "TRADE_UNION", "YOUTH_LEAGUE", "WOMENS_FEDERATION"}) == []
    assert missing_families({"TRADE_UNION"}) == ["PARTY", "YOUTH_LEAGUE", "WOMENS_FEDERATION"]


def test_venture_counts_are_zero_to_a_hundred_thousand():
    assert count_problems(0, 100_000) == []
    assert fields(count_problems(-1, 100_001)) == ["peopleEmployed", "peopleLed"]


def test_a_venture_has_a_name_and_started_no_later_than_today():
    assert venture_problems("巾帼手工坊", TODAY, 3, 20, TODAY) == []
    assert fields(venture_problems("", TODAY + timedelta(days=1), -5, 0, TODAY)) == [
        "name",
        "startedOn",
        "peopleEmployed",
    ]


def test_a_party_member_venture_is_led_by_a_party_member():
    assert venture_leader_problem(VentureKind.PARTY_MEMBER, "PARTY_MEMBER") is None
    assert venture_leader_problem(VentureKind.PARTY_MEMBER, "PROBATIONARY_PARTY_MEMBER") is None
    problem = venture_leader_problem(VentureKind.PARTY_MEMBER, "MASSES")
    assert problem is not None
    assert problem[0] == "leaderPersonId"
    assert venture_leader_problem(VentureKind.LEADING_MASSES, "MASSES") is None
    assert venture_leader_problem(VentureKind.WOMEN, None) is None
