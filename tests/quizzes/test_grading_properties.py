"""Properties of the pure grading functions over random quizzes and answers (hypothesis)."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizzes.grading import ALL_OR_NOTHING, PARTIAL, AnswerError, QuestionKey, grade, validate_answers

PROPERTY_SETTINGS = settings(max_examples=200, derandomize=True, deadline=None)


@st.composite
def quizzes(draw) -> list[QuestionKey]:
    """1–12 questions; single-choice ones have exactly one right choice, multiple-choice ones any
    non-empty set of right choices. Choice ids are unique across the quiz."""
    count = draw(st.integers(min_value=1, max_value=12))
    questions = []
    next_choice = 1000
    for qid in range(1, count + 1):
        kind = draw(st.sampled_from(["single", "multiple"]))
        n_choices = draw(st.integers(min_value=2, max_value=6))
        choice_ids = list(range(next_choice, next_choice + n_choices))
        next_choice += n_choices
        if kind == "single":
            correct = {draw(st.sampled_from(choice_ids))}
        else:
            correct = set(draw(st.lists(st.sampled_from(choice_ids), min_size=1, unique=True)))
        questions.append(
            QuestionKey(id=qid, kind=kind, choice_ids=frozenset(choice_ids), correct_ids=frozenset(correct))
        )
    return questions


@st.composite
def answered(draw):
    """A quiz and a learner's selection for it (some questions may be left out)."""
    questions = draw(quizzes())
    selected: dict[int, tuple[int, ...]] = {}
    for question in questions:
        if draw(st.booleans()) and draw(st.booleans()):
            continue  # unanswered, a quarter of the time
        ordered = sorted(question.choice_ids)
        if question.kind == "single":
            picks = draw(st.lists(st.sampled_from(ordered), max_size=1))
        else:
            picks = draw(st.lists(st.sampled_from(ordered), unique=True))
        selected[question.id] = tuple(picks)
    return questions, selected


def perfect(questions: list[QuestionKey]) -> dict[int, tuple[int, ...]]:
    return {q.id: tuple(sorted(q.correct_ids)) for q in questions}


def all_right(questions, selected) -> bool:
    return all(frozenset(selected.get(q.id, ())) == q.correct_ids for q in questions)


pass_percents = st.integers(min_value=0, max_value=100)
scorings = st.sampled_from([ALL_OR_NOTHING, PARTIAL])


@PROPERTY_SETTINGS
@given(answered(), scorings, pass_percents)
def test_score_is_between_0_and_100_with_two_decimals(case, scoring, pass_percent):
    questions, selected = case
    result = grade(questions, selected, scoring=scoring, pass_percent=pass_percent)
    assert Decimal(0) <= result.score <= Decimal(100)
    assert result.score == result.score.quantize(Decimal("0.01"))
    assert result.passed is (result.score >= pass_percent)
    assert len(result.results) == len(questions)
    assert all(Decimal(0) <= r.credit <= Decimal(1) for r in result.results)


@PROPERTY_SETTINGS
@given(answered(), scorings, pass_percents)
def test_grading_is_deterministic(case, scoring, pass_percent):
    questions, selected = case
    first = grade(questions, selected, scoring=scoring, pass_percent=pass_percent)
    again = grade(list(questions), dict(selected), scoring=scoring, pass_percent=pass_percent)
    reordered = grade(
        list(questions), dict(reversed(list(selected.items()))), scoring=scoring, pass_percent=pass_percent
    )
    assert first == again
    assert (first.score, first.passed) == (reordered.score, reordered.passed)


@PROPERTY_SETTINGS
@given(quizzes(), scorings, pass_percents)
def test_all_right_scores_100_and_passes(questions, scoring, pass_percent):
    result = grade(questions, perfect(questions), scoring=scoring, pass_percent=pass_percent)
    assert result.score == Decimal(100)
    assert result.passed
    assert all(r.correct and r.credit == 1 for r in result.results)


@PROPERTY_SETTINGS
@given(answered(), pass_percents)
def test_any_wrong_answer_scores_below_100(case, pass_percent):
    questions, selected = case
    if all_right(questions, selected):
        return
    for scoring in (ALL_OR_NOTHING, PARTIAL):
        result = grade(questions, selected, scoring=scoring, pass_percent=pass_percent)
        assert result.score < Decimal(100)
        if pass_percent == 100:
            assert not result.passed


@PROPERTY_SETTINGS
@given(answered(), pass_percents)
def test_all_or_nothing_score_is_the_share_of_right_questions(case, pass_percent):
    questions, selected = case
    result = grade(questions, selected, scoring=ALL_OR_NOTHING, pass_percent=pass_percent)
    right = sum(1 for q in questions if frozenset(selected.get(q.id, ())) == q.correct_ids)
    expected = Decimal(100) * right / len(questions)
    assert abs(result.score - expected) <= Decimal("0.01")
    assert all(r.credit in (0, 1) for r in result.results)


@PROPERTY_SETTINGS
@given(answered(), pass_percents)
def test_partial_is_never_below_all_or_nothing(case, pass_percent):
    questions, selected = case
    strict = grade(questions, selected, scoring=ALL_OR_NOTHING, pass_percent=pass_percent)
    partial = grade(questions, selected, scoring=PARTIAL, pass_percent=pass_percent)
    assert partial.score >= strict.score
    assert partial.passed or not strict.passed
    for strict_result, partial_result in zip(strict.results, partial.results, strict=True):
        assert partial_result.credit >= strict_result.credit
        assert partial_result.correct == strict_result.correct


@PROPERTY_SETTINGS
@given(answered())
def test_single_choice_questions_get_no_partial_credit(case):
    questions, selected = case
    partial = grade(questions, selected, scoring=PARTIAL, pass_percent=50)
    kinds = {q.id: q.kind for q in questions}
    for result in partial.results:
        if kinds[result.question_id] == "single":
            assert result.credit in (0, 1)


@PROPERTY_SETTINGS
@given(answered())
def test_valid_answers_pass_validation_unchanged(case):
    questions, selected = case
    answers = [{"question": qid, "choices": list(choices)} for qid, choices in selected.items()]
    assert validate_answers(questions, answers) == selected


@PROPERTY_SETTINGS
@given(quizzes(), st.data())
def test_answers_that_do_not_fit_are_refused(questions, data):
    question = data.draw(st.sampled_from(questions))
    others = [c for q in questions if q.id != question.id for c in q.choice_ids]
    bad_answers = [
        [{"question": max(q.id for q in questions) + 1, "choices": []}],
        [{"question": question.id, "choices": []}, {"question": question.id, "choices": []}],
        [{"question": question.id, "choices": [min(question.choice_ids)] * 2}],
        [{"question": question.id, "choices": [max(question.choice_ids) + 10_000]}],
    ]
    if others:
        bad_answers.append([{"question": question.id, "choices": [others[0]]}])
    if question.kind == "single":
        bad_answers.append([{"question": question.id, "choices": sorted(question.choice_ids)[:2]}])
    for answers in bad_answers:
        with pytest.raises(AnswerError) as info:
            validate_answers(questions, answers)
        assert info.value.path.startswith("answers[")
