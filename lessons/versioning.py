"""Lessons as version items: what a version keeps of a lesson, reading it back for learners, and
writing it back into the draft."""

from courseware.models import Course, Module
from courseware.versions.kinds import (
    ContentKind,
    DraftItem,
    RestoredItem,
    content_kind_register,
    learners_done_counts,
    learners_per_item,
)
from courseware.versions.restore import rows_restore
from lessons.models import Lesson, LessonCompletion

LESSON_FIELDS = ("id", "module_id", "slug", "title", "body_markdown", "body_html", "estimated_minutes", "position")
PAYLOAD_FIELDS = ("slug", "title", "body_markdown", "body_html", "estimated_minutes")


def lesson_item(row: dict) -> DraftItem:
    """A lesson row (``LESSON_FIELDS`` values) as a version item."""
    return DraftItem(
        kind="lesson",
        item_id=row["id"],
        module_id=row["module_id"],
        position=row["position"],
        meta={
            "id": row["id"],
            "slug": row["slug"],
            "title": row["title"],
            "position": row["position"],
            "estimated_minutes": row["estimated_minutes"],
        },
        payload={f: row[f] for f in PAYLOAD_FIELDS},
    )


def lesson_snapshot(course_id: int) -> list[DraftItem]:
    return [lesson_item(r) for r in Lesson.objects.filter(course_id=course_id).values(*LESSON_FIELDS)]


def lesson_restore(course_id: int, items: list[RestoredItem]) -> None:
    rows_restore(
        model=Lesson,
        scope={"course_id": course_id},
        items=items,
        fields_of=lambda i: {"module_id": i.module_id, **{f: i.payload[f] for f in PAYLOAD_FIELDS}},
    )


def lesson_text(payload: dict) -> str:
    return f"# {payload['title']}\n\n{payload.get('body_markdown', '')}\n"


def lesson_published(*, item: dict, payload: dict, course: Course, module: dict | None) -> Lesson:
    """The published lesson as a (read-only) ``Lesson``: fields from the version, ``course`` the
    course row, ``module`` the module as that version has it."""
    lesson = Lesson(id=item["item_id"], course_id=course.pk, module_id=item["module_id"], position=item["position"])
    for f in PAYLOAD_FIELDS:
        setattr(lesson, f, payload[f])
    lesson._state.adding = False
    lesson.course = course
    if module is not None:
        m = Module(id=item["module_id"], course_id=course.pk, **{k: module[k] for k in ("slug", "title", "position")})
        m._state.adding = False
        lesson.module = m
    return lesson


# --- How learners stand on lessons (the impact preview) --------------------------------------------
def lessons_done(course_id: int, learners, before: frozenset[int], after: frozenset[int]) -> dict[int, list[int]]:
    """Per learner, how many of the ``before`` and of the ``after`` lessons they completed: one query."""
    completions = LessonCompletion.objects.filter(course_id=course_id, learner_id__in=learners)
    return learners_done_counts(completions, item="lesson_id", before=before, after=after)


def lessons_touched(learners, lesson_ids: set[int]) -> tuple[dict[int, int], set[int]]:
    """Learners who completed each of ``lesson_ids``, and who they are: two queries."""
    done = LessonCompletion.objects.filter(lesson_id__in=lesson_ids, learner_id__in=learners)
    return learners_per_item(done, item="lesson_id")


def register() -> None:
    content_kind_register(
        ContentKind(
            kind="lesson",
            order=1,
            snapshot=lesson_snapshot,
            restore=lesson_restore,
            text=lesson_text,
            done=lessons_done,
            touched=lessons_touched,
        )
    )
