"""Properties of the pure grading functions over random quizzes of every kind and random answers
(hypothesis): a score in [0, 100] with two decimals, a question's points in [0, points], a full key
scores full points, the order of answers (and of picks or pairs) does not matter where it should not,
partial credit is never below all-or-nothing, and answers that do not fit are refused by path."""

import itertools
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizzes.grading import (
    ALL_OR_NOTHING,
    PARTIAL,
    AnswerError,
    QuestionKey,
    grade,
    number_parse,
    text_normalise,
    validate_answers,
)

PROPERTY_SETTINGS = settings(max_examples=200, derandomize=True, deadline=None)
KINDS = ["single", "multiple", "numeric", "text", "ordering", "matching"]
WORDS = ["Paris", "  paris ", "PARIS", "Ｐａｒｉｓ", "Lyon", "new  york", "New York", "Straße", "STRASSE", "x"]


@st.composite
def question_keys(draw, qid: int, next_id: list[int]) -> QuestionKey:
    kind = draw(st.sampled_from(KINDS))
    points = draw(st.integers(min_value=1, max_value=10))

    def ids(n: int) -> list[int]:
        out = list(range(next_id[0], next_id[0] + n))
        next_id[0] += n
        return out

    if kind in ("single", "multiple"):
        choice_ids = ids(draw(st.integers(min_value=2, max_value=6)))
        if kind == "single":
            correct = {draw(st.sampled_from(choice_ids))}
        else:
            correct = set(draw(st.lists(st.sampled_from(choice_ids), min_size=1, unique=True)))
        return QuestionKey(
            id=qid, kind=kind, points=points, choice_ids=frozenset(choice_ids), correct_ids=frozenset(correct)
        )
    if kind == "numeric":
        answer = Decimal(draw(st.integers(min_value=-10_000, max_value=10_000))) / 100
        tolerance = Decimal(draw(st.integers(min_value=0, max_value=500))) / 100
        return QuestionKey(id=qid, kind=kind, points=points, answer=answer, tolerance=tolerance)
    if kind == "text":
        accepted = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3))
        return QuestionKey(id=qid, kind=kind, points=points, accepted=frozenset(text_normalise(a) for a in accepted))
    if kind == "ordering":
        return QuestionKey(id=qid, kind=kind, points=points, items=tuple(ids(draw(st.integers(2, 6)))))
    prompts = ids(draw(st.integers(min_value=2, max_value=5)))
    options = ids(len(prompts) + draw(st.integers(min_value=0, max_value=2)))
    matches = {p: draw(st.sampled_from(options)) for p in prompts}
    return QuestionKey(id=qid, kind=kind, points=points, matches=matches, option_ids=frozenset(options))


@st.composite
def quizzes(draw) -> list[QuestionKey]:
    """1–10 questions of every kind; ids unique across the quiz."""
    next_id = [1000]
    return [draw(question_keys(qid, next_id)) for qid in range(1, draw(st.integers(1, 10)) + 1)]


def full_key(q: QuestionKey) -> dict:
    if q.kind in ("single", "multiple"):
        return {"choices": tuple(sorted(q.correct_ids))}
    if q.kind == "numeric":
        return {"value": str(q.answer)}
    if q.kind == "text":
        return {"value": sorted(q.accepted)[0].upper()}
    if q.kind == "ordering":
        return {"order": q.items}
    return {"pairs": dict(q.matches)}


@st.composite
def any_answer(draw, q: QuestionKey) -> dict:
    if q.kind == "single":
        return {"choices": tuple(draw(st.lists(st.sampled_from(sorted(q.choice_ids)), max_size=1)))}
    if q.kind == "multiple":
        return {"choices": tuple(draw(st.lists(st.sampled_from(sorted(q.choice_ids)), unique=True)))}
    if q.kind == "numeric":
        near = q.answer + Decimal(draw(st.integers(min_value=-1000, max_value=1000))) / 100
        return {"value": draw(st.sampled_from([str(near), str(near).replace(".", ","), f"{near:e}"]))}
    if q.kind == "text":
        return {"value": draw(st.sampled_from(WORDS))}
    if q.kind == "ordering":
        return {"order": tuple(draw(st.permutations(q.items)))}
    chosen = draw(st.lists(st.sampled_from(sorted(q.matches)), unique=True))
    return {"pairs": {p: draw(st.sampled_from(sorted(q.option_ids))) for p in chosen}}


@st.composite
def answered(draw):
    """A quiz and a learner's answers (some questions left out)."""
    questions = draw(quizzes())
    answers = {}
    for question in questions:
        if draw(st.booleans()) and draw(st.booleans()):
            continue  # unanswered, a quarter of the time
        answers[question.id] = draw(any_answer(question))
    return questions, answers


def is_full(q: QuestionKey, answer: dict | None) -> bool:
    if answer is None:
        return False
    if q.kind in ("single", "multiple"):
        return frozenset(answer["choices"]) == q.correct_ids
    if q.kind == "numeric":
        return abs(number_parse(answer["value"]) - q.answer) <= q.tolerance
    if q.kind == "text":
        return text_normalise(answer["value"]) in q.accepted
    if q.kind == "ordering":
        return tuple(answer["order"]) == q.items
    return answer["pairs"] == q.matches


pass_percents = st.integers(min_value=0, max_value=100)
scorings = st.sampled_from([ALL_OR_NOTHING, PARTIAL])


@PROPERTY_SETTINGS
@given(answered(), scorings, pass_percents)
def test_score_and_points_are_in_range(case, scoring, pass_percent):
    questions, answers = case
    result = grade(questions, answers, scoring=scoring, pass_percent=pass_percent)
    assert Decimal(0) <= result.score <= Decimal(100)
    assert result.score == result.score.quantize(Decimal("0.01"))
    assert result.passed is (result.score >= pass_percent)
    assert len(result.results) == len(questions)
    assert result.points_possible == sum(q.points for q in questions)
    for q, r in zip(questions, result.results, strict=True):
        assert Decimal(0) <= r.credit <= Decimal(1)
        assert Decimal(0) <= r.points_awarded <= q.points
        assert r.points_possible == q.points
    expected = Decimal(100) * result.points_awarded / result.points_possible
    assert abs(result.score - expected) <= Decimal("0.02")


@PROPERTY_SETTINGS
@given(quizzes(), scorings, pass_percents)
def test_a_full_key_scores_full_points(questions, scoring, pass_percent):
    result = grade(questions, {q.id: full_key(q) for q in questions}, scoring=scoring, pass_percent=pass_percent)
    assert result.score == Decimal(100)
    assert result.passed
    assert all(r.correct and r.credit == 1 for r in result.results)
    assert result.points_awarded == result.points_possible


@PROPERTY_SETTINGS
@given(answered(), scorings, pass_percents)
def test_order_of_answers_picks_and_pairs_does_not_matter(case, scoring, pass_percent):
    questions, answers = case
    first = grade(questions, answers, scoring=scoring, pass_percent=pass_percent)
    shuffled = {}
    for qid, answer in reversed(list(answers.items())):
        if "choices" in answer:
            answer = {"choices": tuple(reversed(answer["choices"]))}
        elif "pairs" in answer:
            answer = {"pairs": dict(reversed(list(answer["pairs"].items())))}
        shuffled[qid] = answer
    again = grade(list(questions), shuffled, scoring=scoring, pass_percent=pass_percent)
    assert (first.score, first.passed, first.points_awarded) == (again.score, again.passed, again.points_awarded)
    assert [r.credit for r in first.results] == [r.credit for r in again.results]


@PROPERTY_SETTINGS
@given(answered(), pass_percents)
def test_anything_short_of_the_key_scores_below_100(case, pass_percent):
    questions, answers = case
    if all(is_full(q, answers.get(q.id)) for q in questions):
        return
    for scoring in (ALL_OR_NOTHING, PARTIAL):
        result = grade(questions, answers, scoring=scoring, pass_percent=pass_percent)
        assert result.score < Decimal(100)
        if pass_percent == 100:
            assert not result.passed


@PROPERTY_SETTINGS
@given(answered(), pass_percents)
def test_all_or_nothing_awards_whole_questions(case, pass_percent):
    questions, answers = case
    result = grade(questions, answers, scoring=ALL_OR_NOTHING, pass_percent=pass_percent)
    for q, r in zip(questions, result.results, strict=True):
        assert r.credit == (1 if is_full(q, answers.get(q.id)) else 0)
        assert r.correct is is_full(q, answers.get(q.id))


@PROPERTY_SETTINGS
@given(answered(), pass_percents)
def test_partial_is_never_below_all_or_nothing(case, pass_percent):
    questions, answers = case
    strict = grade(questions, answers, scoring=ALL_OR_NOTHING, pass_percent=pass_percent)
    partial = grade(questions, answers, scoring=PARTIAL, pass_percent=pass_percent)
    assert partial.score >= strict.score
    assert partial.passed or not strict.passed
    for q, s, p in zip(questions, strict.results, partial.results, strict=True):
        assert p.credit >= s.credit
        assert p.correct == s.correct
        if q.kind in ("single", "numeric", "text"):
            assert p.credit in (0, 1)


@PROPERTY_SETTINGS
@given(quizzes(), st.data())
def test_ordering_partial_credit_is_the_share_of_adjacent_pairs_in_order(questions, data):
    for q in questions:
        if q.kind != "ordering":
            continue
        order = data.draw(st.permutations(q.items))
        result = grade([q], {q.id: {"order": tuple(order)}}, scoring=PARTIAL, pass_percent=50).results[0]
        rank = {item: i for i, item in enumerate(q.items)}
        good = sum(1 for a, b in itertools.pairwise(order) if rank[b] == rank[a] + 1)
        assert result.credit == (Decimal(good) / (len(q.items) - 1)).quantize(Decimal("0.0001"))
        reversed_result = grade([q], {q.id: {"order": q.items[::-1]}}, scoring=PARTIAL, pass_percent=50)
        assert reversed_result.results[0].credit == 0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("3.5", "3.5"), ("3,5", "3.5"), (" 1e3 ", "1000"), ("-2", "-2"), (3.5, "3.5"), (7, "7"), ("+0.25", "0.25")],
)
def test_numbers_in_every_accepted_form(raw, expected):
    assert number_parse(raw) == Decimal(expected)


@pytest.mark.parametrize("raw", ["abc", "", "1,000.5", "1,2,3", "NaN", "inf", "1e999", "0x10", True, None, "--1"])
def test_non_numbers_are_refused(raw):
    assert number_parse(raw) is None


def test_text_compares_after_nfkc_case_fold_and_whitespace():
    key = QuestionKey(id=1, kind="text", accepted=frozenset({text_normalise("New York"), text_normalise("Straße")}))
    for value in ["new york", "  NEW   YORK ", "Ｎｅｗ\u3000Ｙｏｒｋ", "STRASSE", "strasse"]:
        assert grade([key], {1: {"value": value}}, scoring=ALL_OR_NOTHING, pass_percent=100).passed, value
    assert not grade([key], {1: {"value": "newyork"}}, scoring=ALL_OR_NOTHING, pass_percent=100).passed


@PROPERTY_SETTINGS
@given(answered())
def test_valid_answers_pass_validation_unchanged(case):
    questions, answers = case
    raw = []
    for qid, answer in answers.items():
        if "pairs" in answer:
            raw.append({"question": qid, "pairs": [{"prompt": p, "option": o} for p, o in answer["pairs"].items()]})
        else:
            raw.append({"question": qid, **{k: list(v) if isinstance(v, tuple) else v for k, v in answer.items()}})
    assert validate_answers(questions, raw) == answers


@PROPERTY_SETTINGS
@given(quizzes(), st.data())
def test_answers_that_do_not_fit_are_refused_by_path(questions, data):
    question = data.draw(st.sampled_from(questions))
    qid = question.id
    bad_answers = [
        [{"question": max(q.id for q in questions) + 1, "choices": []}],
        [{"question": qid, **full_key_raw(question)}, {"question": qid, **full_key_raw(question)}],
    ]
    wrong_shape = {"choices": "value", "value": "order", "order": "pairs", "pairs": "choices"}
    own = next(iter(full_key_raw(question)))
    bad_answers.append([{"question": qid, wrong_shape[own]: [1]}])
    if question.kind in ("single", "multiple"):
        bad_answers.append([{"question": qid, "choices": [min(question.choice_ids)] * 2}])
        bad_answers.append([{"question": qid, "choices": [max(question.choice_ids) + 10_000]}])
    if question.kind == "single":
        bad_answers.append([{"question": qid, "choices": sorted(question.choice_ids)[:2]}])
    if question.kind == "numeric":
        bad_answers += [[{"question": qid, "value": v}] for v in ("three", "1,000.5", "")]
    if question.kind == "ordering":
        bad_answers.append([{"question": qid, "order": list(question.items[:-1])}])
        bad_answers.append([{"question": qid, "order": [*question.items, 1]}])
    if question.kind == "matching":
        prompt = min(question.matches)
        bad_answers.append([{"question": qid, "pairs": [{"prompt": prompt, "option": 1}]}])
        bad_answers.append([{"question": qid, "pairs": [{"prompt": 1, "option": min(question.option_ids)}]}])
        option = min(question.option_ids)
        twice = [{"prompt": prompt, "option": option}, {"prompt": prompt, "option": option}]
        bad_answers.append([{"question": qid, "pairs": twice}])
    for answers in bad_answers:
        with pytest.raises(AnswerError) as info:
            validate_answers(questions, answers)
        assert info.value.path.startswith("answers[")


def full_key_raw(q: QuestionKey) -> dict:
    answer = full_key(q)
    if "pairs" in answer:
        return {"pairs": [{"prompt": p, "option": o} for p, o in answer["pairs"].items()]}
    return {k: list(v) if isinstance(v, tuple) else v for k, v in answer.items()}
