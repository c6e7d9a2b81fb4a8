"""A quiz's questions as authors write them, for every kind: checking them (every problem at once,
keyed by path) and writing them to the rows, in place where they match, so attempts keep pointing
at the same questions, choices, items and options and a regrade can follow.

The normalised shape of one question (what the API and the course folder format both hand in)::

    {"id": int | None, "text": str, "kind": str, "points": int,
     "choices": [{"id": int | None, "text": str, "is_correct": bool, "explanation": str}],  # single, multiple
     "answer": Decimal, "tolerance": Decimal,                                          # numeric
     "accepted": [str],                                                                # text
     "items": [{"id": int | None, "text": str}],          # ordering, in the right order
     "pairs": [{"prompt": str, "option": str}], "distractors": [str]}                  # matching
"""

import random
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F

from quizzes.grading import CHOICE_KINDS, MATCHING, MULTIPLE, NUMERIC, ORDERING, SINGLE, TEXT, number_parse
from quizzes.grading import text_normalise as _norm
from quizzes.models import Choice, Question, Quiz

CHOICE_TEXT_MAX = 500
POINTS_MAX = 1000
ACCEPTED_MAX = 50
NUMBER_LIMIT = Decimal("1e15")
_TEMPORARY = 1_000_000  # positions are moved past this while questions are reordered


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _number(value: Any) -> Decimal | None:
    number = (value if value.is_finite() else None) if isinstance(value, Decimal) else number_parse(value)
    if number is None or abs(number) >= NUMBER_LIMIT:
        return None
    return number.quantize(Decimal("1e-8")) if number == number.quantize(Decimal("1e-8")) else None


def question_specs_validate(*, questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Check a quiz's questions and return them normalised. Every problem is reported at once, keyed
    by its path (``questions[2].choices``, ``questions[0].items[1].text``; indexes from 0)."""
    errors: dict[str, list[str]] = {}
    if not questions:
        raise ValidationError({"questions": ["A quiz needs at least one question."]})
    result = []
    seen_ids: set[int] = set()
    for i, question in enumerate(questions):
        path = f"questions[{i}]"
        text = _text(question.get("text"))
        if not text:
            errors[f"{path}.text"] = ["This field may not be blank."]
        kind = question.get("kind") or SINGLE
        if kind not in Question.Kind.values:
            errors[f"{path}.kind"] = [f"Must be one of {', '.join(Question.Kind.values)}."]
        points = question.get("points", 1)
        if points is None:
            points = 1
        if isinstance(points, bool) or not isinstance(points, int) or not 1 <= points <= POINTS_MAX:
            errors[f"{path}.points"] = [f"Must be a whole number between 1 and {POINTS_MAX}."]
            points = 1
        qid = question.get("id")
        if qid is not None:
            if qid in seen_ids:
                errors[f"{path}.id"] = [f"Question {qid} is listed more than once."]
            seen_ids.add(qid)
        spec: dict[str, Any] = {"id": qid, "text": text, "kind": kind, "points": points}
        spec |= {"choices": [], "answer": None, "tolerance": None, "accepted": [], "items": [], "pairs": []}
        spec["distractors"] = []
        if kind in CHOICE_KINDS:
            _choices_check(question, spec, path, errors)
        elif kind == NUMERIC:
            _numeric_check(question, spec, path, errors)
        elif kind == TEXT:
            _text_check(question, spec, path, errors)
        elif kind == ORDERING:
            _items_check(question, spec, path, errors)
        elif kind == MATCHING:
            _pairs_check(question, spec, path, errors)
        result.append(spec)
    if errors:
        raise ValidationError(errors)
    return result


def _short_text(value: Any, path: str, errors: dict[str, list[str]]) -> str:
    text = _text(value)
    if not text:
        errors[path] = ["This field may not be blank."]
    elif len(text) > CHOICE_TEXT_MAX:
        errors[path] = [f"At most {CHOICE_TEXT_MAX} characters."]
    return text


def _choices_check(question: dict, spec: dict, path: str, errors: dict[str, list[str]]) -> None:
    choices = []
    for j, choice in enumerate(question.get("choices") or []):
        choices.append(
            {
                "id": choice.get("id"),
                "text": _short_text(choice.get("text"), f"{path}.choices[{j}].text", errors),
                "is_correct": bool(choice.get("is_correct")),
                "explanation": _text(choice.get("explanation")),
            }
        )
    correct = sum(c["is_correct"] for c in choices)
    if len(choices) < 2:
        errors[f"{path}.choices"] = [f"A question needs at least 2 choices (has {len(choices)})."]
    elif spec["kind"] == SINGLE and correct != 1:
        errors[f"{path}.choices"] = [f"A single-choice question needs exactly one correct choice (has {correct})."]
    elif spec["kind"] == MULTIPLE and correct < 1:
        errors[f"{path}.choices"] = ["A multiple-choice question needs at least one correct choice."]
    spec["choices"] = choices


def _numeric_check(question: dict, spec: dict, path: str, errors: dict[str, list[str]]) -> None:
    answer = _number(question.get("answer"))
    if answer is None:
        errors[f"{path}.answer"] = [
            f"A numeric question needs its answer: a number below {NUMBER_LIMIT:.0E} with at most 8 decimals."
        ]
    raw = question.get("tolerance")
    tolerance = Decimal(0) if raw is None else _number(raw)
    if tolerance is None or tolerance < 0:
        errors[f"{path}.tolerance"] = ["Must be a number ≥ 0 (absolute), with at most 8 decimals."]
    spec["answer"], spec["tolerance"] = answer, tolerance


def _text_check(question: dict, spec: dict, path: str, errors: dict[str, list[str]]) -> None:
    accepted = question.get("accepted") or []
    if not isinstance(accepted, list) or not accepted:
        errors[f"{path}.accepted"] = ["A text question needs at least one accepted answer."]
        return
    if len(accepted) > ACCEPTED_MAX:
        errors[f"{path}.accepted"] = [f"At most {ACCEPTED_MAX} accepted answers."]
    cleaned = [_short_text(value, f"{path}.accepted[{j}]", errors) for j, value in enumerate(accepted)]
    spec["accepted"] = list(dict.fromkeys(cleaned))


def _items_check(question: dict, spec: dict, path: str, errors: dict[str, list[str]]) -> None:
    items = []
    for j, item in enumerate(question.get("items") or []):
        item = item if isinstance(item, dict) else {"text": item}
        items.append({"id": item.get("id"), "text": _short_text(item.get("text"), f"{path}.items[{j}].text", errors)})
    if len(items) < 2:
        errors[f"{path}.items"] = [f"An ordering question needs at least 2 items (has {len(items)})."]
    elif len({_norm(i["text"]) for i in items}) != len(items):
        errors[f"{path}.items"] = ["Two items read the same: the right order would be ambiguous."]
    spec["items"] = items


def _pairs_check(question: dict, spec: dict, path: str, errors: dict[str, list[str]]) -> None:
    pairs = []
    for j, pair in enumerate(question.get("pairs") or []):
        pair = pair if isinstance(pair, dict) else {}
        pairs.append(
            {
                "prompt": _short_text(pair.get("prompt"), f"{path}.pairs[{j}].prompt", errors),
                "option": _short_text(pair.get("option"), f"{path}.pairs[{j}].option", errors),
            }
        )
    if len(pairs) < 2:
        errors[f"{path}.pairs"] = [f"A matching question needs at least 2 pairs (has {len(pairs)})."]
    elif len({_norm(p["prompt"]) for p in pairs}) != len(pairs):
        errors[f"{path}.pairs"] = ["Two prompts read the same."]
    options = {_norm(p["option"]) for p in pairs}
    distractors = [
        _short_text(value, f"{path}.distractors[{j}]", errors)
        for j, value in enumerate(question.get("distractors") or [])
    ]
    for j, value in enumerate(distractors):
        if value and _norm(value) in options:
            errors[f"{path}.distractors[{j}]"] = ["A distractor must match no prompt, but this is a pair's option."]
    spec["pairs"], spec["distractors"] = pairs, list(dict.fromkeys(distractors))


# --- Writing -------------------------------------------------------------------------------------------
def questions_write(*, quiz: Quiz, questions: list[dict[str, Any]]) -> bool:
    """Write validated ``questions`` to ``quiz``: each matched to an existing question by ``id`` where
    given (it must be one of this quiz's), else by position; updated in place, the new created, the
    extra deleted. Returns whether anything changed."""
    existing = {q.pk: q for q in Question.objects.filter(quiz=quiz).prefetch_related("choices")}
    by_position = {q.position: q for q in existing.values()}
    unknown = {
        f"questions[{i}].id": [f"Question {spec['id']} is not one of this quiz's."]
        for i, spec in enumerate(questions)
        if spec.get("id") is not None and spec["id"] not in existing
    }
    if unknown:
        raise ValidationError(unknown)
    claimed = {spec["id"] for spec in questions if spec.get("id") is not None}
    targets: list[Question | None] = []
    for position, spec in enumerate(questions, start=1):
        if spec.get("id") is not None:
            targets.append(existing[spec["id"]])
            continue
        question = by_position.get(position)
        if question is not None and question.pk not in claimed:
            claimed.add(question.pk)
            targets.append(question)
        else:
            targets.append(None)
    changed = False
    extra = [pk for pk in existing if pk not in claimed]
    if extra:
        Question.objects.filter(pk__in=extra).delete()
        changed = True
    moved = [q for position, q in enumerate(targets, start=1) if q is not None and q.position != position]
    if moved:
        for q in moved:
            q.position += _TEMPORARY
        Question.objects.bulk_update(moved, ["position"])
    for position, (spec, question) in enumerate(zip(questions, targets, strict=True), start=1):
        values = {
            "text": spec["text"],
            "kind": spec["kind"],
            "points": spec["points"],
            "answer": spec["answer"],
            "tolerance": spec["tolerance"],
            "accepted": spec["accepted"],
        }
        if question is None:
            question = Question.objects.create(quiz=quiz, position=position, **values)
            changed = True
            rows: list[Choice] = []
        else:
            values["position"] = position
            fields = [name for name, value in values.items() if getattr(question, name) != value]
            if fields:
                for name in fields:
                    setattr(question, name, values[name])
                question.save(update_fields=fields)
                changed = True
            rows = list(question.choices.all())
        changed |= _rows_write(question=question, spec=spec, rows=rows)
    if changed:  # attempts graded before are now stale (analytics say so) until a regrade
        Quiz.objects.filter(pk=quiz.pk).update(key_version=F("key_version") + 1)
        quiz.key_version = Quiz.objects.values_list("key_version", flat=True).get(pk=quiz.pk)
    return changed


def _rows_write(*, question: Question, spec: dict, rows: list[Choice]) -> bool:
    """The question's choices / items / prompts and options. Rows of roles its kind does not use go."""
    R = Choice.Role
    by_role: dict[str, list[Choice]] = {role: [] for role in R.values}
    for row in rows:
        by_role[row.role].append(row)
    kind = spec["kind"]
    changed = False
    wanted: dict[str, list[dict]] = {role: [] for role in R.values}
    if kind in CHOICE_KINDS:
        wanted[R.CHOICE] = [
            {"id": c.get("id"), "text": c["text"], "is_correct": c["is_correct"], "explanation": c["explanation"]}
            for c in spec["choices"]
        ]
    elif kind == ORDERING:
        wanted[R.ITEM] = [{"id": item.get("id"), "text": item["text"]} for item in spec["items"]]
    elif kind == MATCHING:
        wanted[R.PROMPT] = [{"id": None, "text": p["prompt"]} for p in spec["pairs"]]
        option_texts = list(dict.fromkeys([p["option"] for p in spec["pairs"]] + spec["distractors"]))
        wanted[R.OPTION] = [{"id": None, "text": text} for text in option_texts]
    kept: dict[str, dict[int, Choice]] = {}
    for role in R.values:
        rows_now, specs = by_role[role], wanted[role]
        matched = _match_rows(rows_now, specs, by_text=role == R.OPTION)
        stale = [row.pk for row in rows_now if row.pk not in {r.pk for r in matched.values()}]
        if stale:
            Choice.objects.filter(pk__in=stale).delete()
            changed = True
        kept[role] = {}
        updates, creates = [], []
        for position, values in enumerate(specs, start=1):
            row = matched.get(position)
            fields = {k: v for k, v in values.items() if k != "id"} | {"position": position}
            if row is None:
                creates.append((position, Choice(question=question, role=role, **fields)))
                continue
            diff = [name for name, value in fields.items() if getattr(row, name) != value]
            if diff:
                for name in diff:
                    setattr(row, name, fields[name])
                updates.append((row, diff))
            kept[role][position] = row
        if updates:
            for row, _ in updates:
                row.position += _TEMPORARY
            Choice.objects.bulk_update([row for row, _ in updates], ["position"])
            for row, diff in updates:
                row.position -= _TEMPORARY
                row.save(update_fields=sorted({*diff, "position"}))
            changed = True
        if creates:
            # Created in a random order, so that ids say nothing about the right order or pairing.
            random.SystemRandom().shuffle(creates)
            for position, row in creates:
                row.save()
                kept[role][position] = row
            changed = True
    if kind == MATCHING:
        options = {row.text: row for row in kept[R.OPTION].values()}
        for position, pair in enumerate(spec["pairs"], start=1):
            prompt = kept[R.PROMPT][position]
            option = options[pair["option"]]
            if prompt.match_id != option.pk:
                prompt.match = option
                prompt.save(update_fields=["match"])
                changed = True
    return changed


def _match_rows(rows: list[Choice], specs: list[dict], *, by_text: bool) -> dict[int, Choice]:
    """Which existing row each wanted position (1, 2, ...) reuses: by id where given, else (options)
    by the same text, else by position."""
    by_id = {row.pk: row for row in rows}
    taken: set[int] = set()
    matched: dict[int, Choice] = {}
    unknown = [s["id"] for s in specs if s.get("id") is not None and s["id"] not in by_id]
    if unknown:
        raise ValidationError({"questions": [f"Choice or item {unknown[0]} is not one of this question's."]})
    for position, spec in enumerate(specs, start=1):
        if spec.get("id") is not None:
            matched[position] = by_id[spec["id"]]
            taken.add(spec["id"])
    if by_text:
        by_text_rows = {row.text: row for row in rows}
        for position, spec in enumerate(specs, start=1):
            row = by_text_rows.get(spec["text"])
            if position not in matched and row is not None and row.pk not in taken:
                matched[position] = row
                taken.add(row.pk)
        return matched
    by_position = {row.position: row for row in rows}
    for position, spec in enumerate(specs, start=1):
        row = by_position.get(position)
        if position not in matched and spec.get("id") is None and row is not None and row.pk not in taken:
            matched[position] = row
            taken.add(row.pk)
    return matched
