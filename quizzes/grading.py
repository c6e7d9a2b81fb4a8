"""Grading, as pure functions over plain data (no database), so it is easy to test exhaustively.

Six kinds of question, each graded by its own function into a credit in [0, 1]; a question is worth
``points`` and awards ``credit × points``; a quiz's score is points awarded ÷ points possible × 100.
``scoring`` is the quiz's: ``all_or_nothing`` (credit 1 only for a fully right answer) or ``partial``
(multiple choice: right picks minus wrong picks over the right choices, floored at 0; ordering: the
share of adjacent pairs in the right order; matching: the share of prompts matched right)."""

import itertools
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ALL_OR_NOTHING = "all_or_nothing"
PARTIAL = "partial"

SINGLE, MULTIPLE, NUMERIC, TEXT, ORDERING, MATCHING = "single", "multiple", "numeric", "text", "ordering", "matching"
CHOICE_KINDS = (SINGLE, MULTIPLE)
VALUE_KINDS = (NUMERIC, TEXT)
NUMBER_MAX_LENGTH = 60
TEXT_MAX_LENGTH = 1000


@dataclass(frozen=True)
class QuestionKey:
    id: int
    kind: str  # one of the six kinds
    choice_ids: frozenset[int] = frozenset()  # single/multiple
    correct_ids: frozenset[int] = frozenset()  # single/multiple
    points: int = 1
    answer: Decimal | None = None  # numeric
    tolerance: Decimal = Decimal(0)  # numeric, absolute
    accepted: frozenset[str] = frozenset()  # text, already normalised (``text_normalise``)
    items: tuple[int, ...] = ()  # ordering: item ids in the right order
    matches: dict[int, int] = field(default_factory=dict)  # matching: prompt id → option id
    option_ids: frozenset[int] = frozenset()  # matching: every option, distractors included


@dataclass(frozen=True)
class QuestionResult:
    question_id: int
    selected: tuple[int, ...]  # choice kinds: the picked choices; ordering: the order; matching: ()
    correct: bool
    credit: Decimal  # 0..1
    points_awarded: Decimal = Decimal(0)  # 0..points
    points_possible: int = 1
    response: dict | None = None  # numeric/text: {"value"}; ordering: {"order"}; matching: {"pairs"}


@dataclass(frozen=True)
class Grade:
    score: Decimal  # 0..100, two decimals
    passed: bool
    results: tuple[QuestionResult, ...]
    points_awarded: Decimal = Decimal(0)
    points_possible: int = 0


class AnswerError(ValueError):
    """An answer that does not fit the quiz. ``path`` says which answer, e.g. ``answers[2].choices``."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


# --- Normalising --------------------------------------------------------------------------------------
def number_parse(raw: object) -> Decimal | None:
    """A learner's number: ``3.5``, ``"3.5"``, ``"3,5"`` (decimal comma), ``"-1e3"``, surrounding spaces.
    None when it is not a finite number (``"abc"``, ``"1,000.5"``, ``"NaN"``, ``"inf"``, ``""``)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        raw = repr(raw)
    if not isinstance(raw, str) or len(raw) > NUMBER_MAX_LENGTH:
        return None
    text = raw.strip().replace(" ", "")
    if "," in text:
        if "." in text or text.count(",") > 1:
            return None
        text = text.replace(",", ".")
    if not text or not all(c in "0123456789.+-eE" for c in text):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or abs(value.adjusted()) > 30:
        return None
    return value


def text_normalise(value: str) -> str:
    """Unicode NFKC, case fold, trimmed, inner whitespace collapsed to one space."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
    return " ".join(folded.split())


# --- Validating answers ----------------------------------------------------------------------------------
def _ids(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)


def validate_answers(questions: list[QuestionKey], answers: list[dict]) -> dict[int, dict]:
    """Check answers against the quiz (or the attempt's drawn questions); return the answer per
    question id, normalised: ``{"choices": (...)}``, ``{"value": "3.5"}``, ``{"order": (...)}``,
    ``{"pairs": {prompt: option}}``. Questions left out count as unanswered (no credit)."""
    by_id = {q.id: q for q in questions}
    given: dict[int, dict] = {}
    for index, answer in enumerate(answers):
        qid = answer["question"]
        path = f"answers[{index}]"
        question = by_id.get(qid)
        if question is None:
            raise AnswerError(f"{path}.question", f"Question {qid} is not part of this quiz (or of this attempt).")
        if qid in given:
            raise AnswerError(f"{path}.question", f"Question {qid} is answered more than once.")
        given[qid] = _validate_one(question, answer, path)
    return given


def _validate_one(question: QuestionKey, answer: dict, path: str) -> dict:
    qid, kind = question.id, question.kind
    expected = {SINGLE: "choices", MULTIPLE: "choices", NUMERIC: "value", TEXT: "value", ORDERING: "order"}
    key = expected.get(kind, "pairs")
    if answer.get(key) is None:
        raise AnswerError(f"{path}.{key}", f"Question {qid} ({kind}) is answered with `{key}`.")
    value = answer[key]
    if kind in CHOICE_KINDS:
        if not _ids(value):
            raise AnswerError(f"{path}.choices", "Must be a list of choice ids.")
        if len(set(value)) != len(value):
            raise AnswerError(f"{path}.choices", "A choice is listed more than once.")
        foreign = [c for c in value if c not in question.choice_ids]
        if foreign:
            raise AnswerError(f"{path}.choices", f"Choice {foreign[0]} does not belong to question {qid}.")
        if kind == SINGLE and len(value) > 1:
            raise AnswerError(f"{path}.choices", f"Question {qid} is single-choice: pick one choice.")
        return {"choices": tuple(value)}
    if kind == NUMERIC:
        if number_parse(value) is None:
            raise AnswerError(
                f"{path}.value", f"Question {qid} needs a number (such as 3.5, 3,5 or 1e3), not {str(value)[:40]!r}."
            )
        return {"value": value.strip() if isinstance(value, str) else repr(value)}
    if kind == TEXT:
        if not isinstance(value, str):
            raise AnswerError(f"{path}.value", f"Question {qid} needs text.")
        if len(value) > TEXT_MAX_LENGTH:
            raise AnswerError(f"{path}.value", f"At most {TEXT_MAX_LENGTH} characters.")
        return {"value": value}
    if kind == ORDERING:
        if not _ids(value):
            raise AnswerError(f"{path}.order", "Must be a list of item ids.")
        if sorted(value) != sorted(question.items):
            raise AnswerError(f"{path}.order", f"List every item of question {qid} exactly once, in your order.")
        return {"order": tuple(value)}
    if not isinstance(value, list) or not all(
        isinstance(p, dict) and _ids([p.get("prompt"), p.get("option")]) for p in value
    ):
        raise AnswerError(f"{path}.pairs", 'Must be a list of {"prompt": id, "option": id}.')
    pairs: dict[int, int] = {}
    for pair in value:
        prompt, option = pair["prompt"], pair["option"]
        if prompt not in question.matches:
            raise AnswerError(f"{path}.pairs", f"Prompt {prompt} does not belong to question {qid}.")
        if option not in question.option_ids:
            raise AnswerError(f"{path}.pairs", f"Option {option} does not belong to question {qid}.")
        if prompt in pairs:
            raise AnswerError(f"{path}.pairs", f"Prompt {prompt} is matched more than once.")
        pairs[prompt] = option
    return {"pairs": pairs}


# --- Grading --------------------------------------------------------------------------------------------
def choice_credit(question: QuestionKey, chosen: frozenset[int], scoring: str) -> Decimal:
    if chosen == question.correct_ids:
        return Decimal(1)
    if scoring != PARTIAL or question.kind == SINGLE or not question.correct_ids:
        return Decimal(0)
    # Partial credit: right picks minus wrong picks, over the number of right choices, never below 0.
    right = len(chosen & question.correct_ids)
    wrong = len(chosen - question.correct_ids)
    return max(Decimal(0), Decimal(right - wrong) / Decimal(len(question.correct_ids)))


def numeric_credit(question: QuestionKey, value: str | None) -> Decimal:
    number = number_parse(value) if value is not None else None
    if number is None or question.answer is None:
        return Decimal(0)
    return Decimal(1) if abs(number - question.answer) <= question.tolerance else Decimal(0)


def text_credit(question: QuestionKey, value: str | None) -> Decimal:
    if value is None:
        return Decimal(0)
    return Decimal(1) if text_normalise(value) in question.accepted else Decimal(0)


def ordering_credit(question: QuestionKey, order: tuple[int, ...] | None, scoring: str) -> Decimal:
    if not order:
        return Decimal(0)
    if tuple(order) == question.items:
        return Decimal(1)
    if scoring != PARTIAL or len(question.items) < 2:
        return Decimal(0)
    # Partial credit: the share of the learner's adjacent pairs that are adjacent, in that order, in the key.
    rank = {item: i for i, item in enumerate(question.items)}
    in_order = sum(1 for a, b in itertools.pairwise(order) if rank[b] == rank[a] + 1)
    return Decimal(in_order) / Decimal(len(question.items) - 1)


def matching_credit(question: QuestionKey, pairs: dict[int, int] | None, scoring: str) -> Decimal:
    if not question.matches:
        return Decimal(0)
    right = sum(1 for prompt, option in (pairs or {}).items() if question.matches.get(prompt) == option)
    if right == len(question.matches):
        return Decimal(1)
    if scoring != PARTIAL:
        return Decimal(0)
    return Decimal(right) / Decimal(len(question.matches))


def question_credit(question: QuestionKey, answer: dict | None, scoring: str) -> Decimal:
    """Credit in [0, 1] for one answer (``None``: unanswered)."""
    answer = answer or {}
    if question.kind in CHOICE_KINDS:
        return choice_credit(question, frozenset(answer.get("choices", ())), scoring)
    if question.kind == NUMERIC:
        return numeric_credit(question, answer.get("value"))
    if question.kind == TEXT:
        return text_credit(question, answer.get("value"))
    if question.kind == ORDERING:
        return ordering_credit(question, answer.get("order"), scoring)
    return matching_credit(question, answer.get("pairs"), scoring)


def _response(question: QuestionKey, answer: dict | None) -> dict | None:
    if answer is None or question.kind in CHOICE_KINDS:
        return None
    if question.kind == MATCHING:
        return {"pairs": [{"prompt": p, "option": o} for p, o in sorted(answer["pairs"].items())]}
    if question.kind == ORDERING:
        return {"order": list(answer["order"])}
    return {"value": answer["value"]}


def grade(questions: list[QuestionKey], answers: dict[int, dict], *, scoring: str, pass_percent: int) -> Grade:
    """Score 0–100 (two decimals): points awarded ÷ points possible over ``questions`` (the quiz's, or
    the attempt's drawn ones). ``answers`` as ``validate_answers`` returns them."""
    results = []
    awarded = Decimal(0)
    possible = 0
    for question in questions:
        answer = answers.get(question.id)
        exact = question_credit(question, answer, scoring)
        awarded += exact * question.points
        credit = exact.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        points = (exact * question.points).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        possible += question.points
        selected = (answer or {}).get("choices") or (answer or {}).get("order") or ()
        results.append(
            QuestionResult(
                question_id=question.id,
                selected=tuple(selected),
                correct=exact == 1,
                credit=credit,
                points_awarded=points,
                points_possible=question.points,
                response=_response(question, answer),
            )
        )
    if possible:
        score = (Decimal(100) * awarded / Decimal(possible)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    else:
        score = Decimal(0)
    score = min(Decimal(100), max(Decimal(0), score))
    if score == 100 and not all(r.correct for r in results):
        score = Decimal("99.99")  # rounding must never turn a wrong answer into a perfect score
    return Grade(
        score=score,
        passed=score >= Decimal(pass_percent),
        results=tuple(results),
        points_awarded=awarded.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP),
        points_possible=possible,
    )


def answer_fit(question: QuestionKey, answer: dict | None) -> dict | None:
    """A stored answer made to fit a key that changed since (a regrade): picks of choices, prompts or
    options that no longer exist are dropped; an order that no longer lists exactly the question's
    items, or an answer of another kind's shape, counts as unanswered (None)."""
    if not answer:
        return None
    kind = question.kind
    if kind in CHOICE_KINDS and "choices" in answer:
        picks = tuple(c for c in answer["choices"] if c in question.choice_ids)
        return {"choices": picks[:1] if kind == SINGLE else picks}
    if kind in VALUE_KINDS and "value" in answer:
        return {"value": answer["value"]}
    if kind == ORDERING and "order" in answer:
        return {"order": tuple(answer["order"])} if sorted(answer["order"]) == sorted(question.items) else None
    if kind == MATCHING and "pairs" in answer:
        pairs = {p: o for p, o in answer["pairs"].items() if p in question.matches and o in question.option_ids}
        return {"pairs": pairs}
    return None
