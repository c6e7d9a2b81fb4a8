"""Quizzes as version items: a quiz with its questions, choices and keys as one payload, reading it
back for learners (and for an attempt started on an older version), and writing it back into the
draft."""

from decimal import Decimal

from django.db.models import F

from courseware.models import Course
from courseware.versions.kinds import (
    ContentKind,
    DraftItem,
    RestoredItem,
    content_kind_register,
    learners_done_counts,
    learners_per_item,
)
from courseware.versions.restore import rows_restore
from quizzes.models import Choice, Question, Quiz, QuizAttempt

SETTINGS = (
    "slug", "title", "description", "pass_percent", "max_attempts", "scoring", "reveal_answers",
    "time_limit_minutes", "shuffle", "draw", "key_version",
)  # fmt: skip
QUESTION_FIELDS = ("id", "quiz_id", "text", "kind", "position", "points", "answer", "tolerance", "accepted")
CHOICE_FIELDS = ("id", "question_id", "role", "text", "is_correct", "explanation", "position", "match_id")


def _decimal_out(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def quiz_item(row: dict, questions: list[dict], choices: dict[int, list[dict]]) -> DraftItem:
    """A quiz row (``id``, ``module_id``, ``position`` and ``SETTINGS`` values) with its question rows
    and their choice rows (by question id) as a version item."""
    payload = {f: row[f] for f in SETTINGS}
    payload["questions"] = [
        {
            **{f: q[f] for f in QUESTION_FIELDS if f not in ("quiz_id", "answer", "tolerance")},
            "answer": _decimal_out(q["answer"]),
            "tolerance": _decimal_out(q["tolerance"]),
            "choices": [{f: c[f] for f in CHOICE_FIELDS if f != "question_id"} for c in choices.get(q["id"], [])],
        }
        for q in questions
    ]
    return DraftItem(
        kind="quiz",
        item_id=row["id"],
        module_id=row["module_id"],
        position=row["position"],
        meta={
            "id": row["id"],
            "slug": row["slug"],
            "title": row["title"],
            "position": row["position"],
            "pass_percent": row["pass_percent"],
            "max_attempts": row["max_attempts"],
            "question_count": len(questions),
        },
        payload=payload,
    )


def quiz_snapshot(course_id: int) -> list[DraftItem]:
    quizzes = list(Quiz.objects.filter(course_id=course_id).values("id", "module_id", "position", *SETTINGS))
    ids = [q["id"] for q in quizzes]
    questions: dict[int, list[dict]] = {}
    for q in Question.objects.filter(quiz_id__in=ids).order_by("position").values(*QUESTION_FIELDS):
        questions.setdefault(q["quiz_id"], []).append(q)
    choices: dict[int, list[dict]] = {}
    for c in (
        Choice.objects.filter(question__quiz_id__in=ids, question__removed_at__isnull=True)
        .order_by("role", "position")
        .values(*CHOICE_FIELDS)
    ):
        choices.setdefault(c["question_id"], []).append(c)
    return [quiz_item(q, questions.get(q["id"], []), choices) for q in quizzes]


def _questions_restore(quiz_id: int, questions: list[dict]) -> bool:
    """The quiz's draft questions become ``questions`` (ids kept); True when that changed its key."""
    changed = _question_rows(quiz_id=quiz_id) != questions
    rows_restore(
        model=Question,
        scope={"quiz_id": quiz_id},
        items=[RestoredItem(item_id=q["id"], module_id=None, position=q["position"], payload=q) for q in questions],
        fields_of=lambda i: {
            f: (Decimal(i.payload[f]) if f in ("answer", "tolerance") and i.payload[f] is not None else i.payload[f])
            for f in ("text", "kind", "points", "answer", "tolerance", "accepted")
        },
        slugged=False,
    )
    Choice.objects.filter(question_id__in=[q["id"] for q in questions]).delete()
    Choice.objects.bulk_create(
        [
            Choice(
                id=c["id"],
                question_id=q["id"],
                role=c["role"],
                text=c["text"],
                is_correct=c["is_correct"],
                explanation=c["explanation"],
                position=c["position"],
            )
            for q in questions
            for c in q["choices"]
        ]
    )
    for q in questions:
        for c in q["choices"]:
            if c["match_id"] is not None:
                Choice.objects.filter(pk=c["id"]).update(match_id=c["match_id"])
    return changed


def _question_rows(*, quiz_id: int) -> list[dict]:
    item = quiz_snapshot_one(quiz_id=quiz_id)
    return item.payload["questions"] if item else []


def quiz_snapshot_one(*, quiz_id: int) -> DraftItem | None:
    row = Quiz.all_objects.filter(pk=quiz_id).values("id", "course_id").first()
    if row is None:
        return None
    return next((i for i in quiz_snapshot(row["course_id"]) if i.item_id == quiz_id), None)


def quiz_restore(course_id: int, items: list[RestoredItem]) -> None:
    rows_restore(
        model=Quiz,
        scope={"course_id": course_id},
        items=items,
        fields_of=lambda i: {"module_id": i.module_id, **{f: i.payload[f] for f in SETTINGS if f != "key_version"}},
    )
    for item in items:
        if _questions_restore(item.item_id, item.payload["questions"]):
            # attempts graded on the key the draft had are stale until a regrade (as after any key edit)
            Quiz.all_objects.filter(pk=item.item_id).update(key_version=F("key_version") + 1)


def quiz_text(payload: dict) -> str:
    """A quiz as text for diffs: its settings, then each question with its choices and key."""
    lines = [f"# {payload['title']}", ""]
    lines += [f"{f}: {payload.get(f)}" for f in SETTINGS if f not in ("slug", "title", "key_version")]
    for n, q in enumerate(payload.get("questions", []), start=1):
        lines += ["", f"## Question {n} ({q['kind']}, {q['points']} point{'s' if q['points'] != 1 else ''})", q["text"]]
        if q.get("answer") is not None:
            lines.append(f"answer: {q['answer']} ± {q.get('tolerance') or 0}")
        if q.get("accepted"):
            lines.append(f"accepted: {', '.join(q['accepted'])}")
        texts = {c["id"]: c["text"] for c in q["choices"]}
        for c in q["choices"]:
            mark = {
                "choice": "[x]" if c["is_correct"] else "[ ]",
                "item": f"{c['position']}.",
                "prompt": "-",
                "option": "o",
            }
            match = f" -> {texts.get(c['match_id'], '?')}" if c.get("match_id") else ""
            lines.append(f"{mark.get(c['role'], '-')} {c['text']}{match}")
            if c.get("explanation"):
                lines.append(f"    ({c['explanation']})")
    return "\n".join(lines) + "\n"


# --- Reading a published quiz -------------------------------------------------------------------------
def quiz_published(*, item: dict, payload: dict, course: Course) -> Quiz:
    """The published quiz as a (read-only) ``Quiz``; ``content_digest`` names the payload its
    questions come from (``questions_published``)."""
    quiz = Quiz(id=item["item_id"], course_id=course.pk, module_id=item["module_id"], position=item["position"])
    for f in SETTINGS:
        setattr(quiz, f, payload[f])
    quiz._state.adding = False
    quiz.course = course
    quiz.content_digest = item["digest"]
    return quiz


def questions_published(*, payload: dict, quiz_id: int) -> list[Question]:
    """A quiz payload's questions as (read-only) ``Question`` rows, their choices prefetched."""
    out = []
    for q in payload.get("questions", []):
        question = Question(
            id=q["id"],
            quiz_id=quiz_id,
            text=q["text"],
            kind=q["kind"],
            position=q["position"],
            points=q["points"],
            answer=Decimal(q["answer"]) if q.get("answer") is not None else None,
            tolerance=Decimal(q["tolerance"]) if q.get("tolerance") is not None else None,
            accepted=q.get("accepted") or [],
        )
        question._state.adding = False
        rows = []
        for c in q["choices"]:
            choice = Choice(id=c["id"], question_id=q["id"], **{f: c[f] for f in CHOICE_FIELDS[2:]})
            choice._state.adding = False
            rows.append(choice)
        prefetched = Choice.objects.all()
        prefetched._result_cache = rows
        prefetched._prefetch_done = True
        question._prefetched_objects_cache = {"choices": prefetched}
        out.append(question)
    return out


# --- How learners stand on quizzes (the impact preview) --------------------------------------------
def quizzes_done(course_id: int, learners, before: frozenset[int], after: frozenset[int]) -> dict[int, list[int]]:
    """Per learner, how many of the ``before`` and of the ``after`` quizzes they passed (a submitted
    attempt that passed, as progress counts it): one query."""
    passes = QuizAttempt.objects.filter(
        course_id=course_id, learner_id__in=learners, status=QuizAttempt.Status.SUBMITTED, passed=True
    )
    return learners_done_counts(passes, item="quiz_id", before=before, after=after)


def quizzes_touched(learners, quiz_ids: set[int]) -> tuple[dict[int, int], set[int]]:
    """Learners who attempted each of ``quiz_ids``, and who they are: two queries."""
    tried = QuizAttempt.objects.filter(quiz_id__in=quiz_ids, learner_id__in=learners)
    return learners_per_item(tried, item="quiz_id")


def register() -> None:
    content_kind_register(
        ContentKind(
            kind="quiz",
            order=2,
            snapshot=quiz_snapshot,
            restore=quiz_restore,
            text=quiz_text,
            done=quizzes_done,
            touched=quizzes_touched,
        )
    )
