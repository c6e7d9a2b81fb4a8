"""Grading, as pure functions over plain data (no database), so it is easy to test exhaustively."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

ALL_OR_NOTHING = "all_or_nothing"
PARTIAL = "partial"


@dataclass(frozen=True)
class QuestionKey:
    id: int
    kind: str  # "single" | "multiple"
    choice_ids: frozenset[int]
    correct_ids: frozenset[int]


@dataclass(frozen=True)
class QuestionResult:
    question_id: int
    selected: tuple[int, ...]
    correct: bool
    credit: Decimal  # 0..1


@dataclass(frozen=True)
class Grade:
    score: Decimal  # 0..100, two decimals
    passed: bool
    results: tuple[QuestionResult, ...]


class AnswerError(ValueError):
    """An answer that does not fit the quiz. ``path`` says which answer, e.g. ``answers[2].choices``."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def validate_answers(questions: list[QuestionKey], answers: list[dict]) -> dict[int, tuple[int, ...]]:
    """Check answers against the quiz; return the selected choice ids per question id.

    ``answers`` items are ``{"question": int, "choices": [int, ...]}`` (types already checked).
    Questions left out count as unanswered (wrong)."""
    by_id = {q.id: q for q in questions}
    selected: dict[int, tuple[int, ...]] = {}
    for index, answer in enumerate(answers):
        qid, choices = answer["question"], answer["choices"]
        question = by_id.get(qid)
        if question is None:
            raise AnswerError(f"answers[{index}].question", f"Question {qid} is not part of this quiz.")
        if qid in selected:
            raise AnswerError(f"answers[{index}].question", f"Question {qid} is answered more than once.")
        if len(set(choices)) != len(choices):
            raise AnswerError(f"answers[{index}].choices", "A choice is listed more than once.")
        foreign = [c for c in choices if c not in question.choice_ids]
        if foreign:
            raise AnswerError(f"answers[{index}].choices", f"Choice {foreign[0]} does not belong to question {qid}.")
        if question.kind == "single" and len(choices) > 1:
            raise AnswerError(f"answers[{index}].choices", f"Question {qid} is single-choice: pick one choice.")
        selected[qid] = tuple(choices)
    return selected


def question_credit(question: QuestionKey, chosen: frozenset[int], scoring: str) -> Decimal:
    if chosen == question.correct_ids:
        return Decimal(1)
    if scoring != PARTIAL or question.kind == "single" or not question.correct_ids:
        return Decimal(0)
    # Partial credit: right picks minus wrong picks, over the number of right choices, never below 0.
    right = len(chosen & question.correct_ids)
    wrong = len(chosen - question.correct_ids)
    return max(Decimal(0), Decimal(right - wrong) / Decimal(len(question.correct_ids)))


def grade(
    questions: list[QuestionKey], selected: dict[int, tuple[int, ...]], *, scoring: str, pass_percent: int
) -> Grade:
    """Score 0–100 (two decimals): the mean credit over every question of the quiz."""
    results = []
    total = Decimal(0)
    for question in questions:
        chosen = frozenset(selected.get(question.id, ()))
        credit = question_credit(question, chosen, scoring)
        total += credit
        results.append(
            QuestionResult(
                question_id=question.id,
                selected=selected.get(question.id, ()),
                correct=chosen == question.correct_ids,
                credit=credit.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP),
            )
        )
    if questions:
        score = (Decimal(100) * total / Decimal(len(questions))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    else:
        score = Decimal(0)
    score = min(Decimal(100), max(Decimal(0), score))
    if score == 100 and not all(r.correct for r in results):
        score = Decimal("99.99")  # rounding must never turn a wrong answer into a perfect score
    return Grade(score=score, passed=score >= Decimal(pass_percent), results=tuple(results))
