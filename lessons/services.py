"""Writes for lessons: recording a learner's completion; authoring lessons."""

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from courseware.enrollment.services import enrollment_activity_record
from courseware.models import Course, Enrollment, Module
from courseware.structure.changes import course_draft_changed, course_touch
from courseware.structure.positions import (
    content_save_guard,
    content_slug_validate,
    content_title_check,
    module_item_move,
    module_lock,
    position_close_gap,
    position_make_room,
    position_validate,
)
from events.services import event_record
from lessons.markdown import estimate_minutes, render_markdown
from lessons.models import Lesson, LessonCompletion


@transaction.atomic
def lesson_completion_record(*, learner: User, lesson: Lesson, enrollment: Enrollment) -> tuple[LessonCompletion, bool]:
    """Mark ``lesson`` completed for ``learner`` (idempotent: a repeat changes nothing).

    The completion row is the source of truth and is committed first; the progress task runs
    after commit (and the reconcile task catches up if the broker is down)."""
    # No read first: the unique constraint decides (the view already answered repeats it knew of).
    with transaction.atomic(savepoint=False):  # the completion and its outbox event commit together
        completion = _completion_insert(learner_id=learner.pk, lesson=lesson)
        if completion is None:  # recorded before, or by a concurrent request
            return LessonCompletion.objects.get(learner=learner, lesson=lesson), False
        enrollment_activity_record(enrollment_id=enrollment.pk)  # the progress pipeline follows on commit
        event_record(
            type="lesson.completed",
            course_id=lesson.course_id,
            learner_id=learner.pk,
            data={"lesson": lesson.pk, "completed_at": completion.completed_at.isoformat()},
        )
    return completion, True


def _completion_insert(*, learner_id: int, lesson: Lesson) -> LessonCompletion | None:
    """Insert the completion unless (learner, lesson) has one: ``ON CONFLICT DO NOTHING``, one
    statement where ``create()`` under a savepoint (to survive the IntegrityError) costs three.
    Returns the new row, or None when it already existed."""
    table, now = LessonCompletion._meta.db_table, timezone.now()
    with connection.cursor() as cur:
        cur.execute(
            f'INSERT INTO "{table}" ("learner_id", "lesson_id", "course_id", "completed_at") '  # noqa: S608
            'VALUES (%s, %s, %s, %s) ON CONFLICT ("learner_id", "lesson_id") DO NOTHING RETURNING "id"',
            [learner_id, lesson.pk, lesson.course_id, connection.ops.adapt_datetimefield_value(now)],
        )
        row = cur.fetchone()
    if row is None:
        return None
    completion = LessonCompletion(
        id=row[0], learner_id=learner_id, lesson=lesson, course_id=lesson.course_id, completed_at=now
    )
    completion._state.adding, completion._state.db = False, connection.alias
    return completion


# --- Authoring --------------------------------------------------------------------------------------
LESSON_FIELDS = ("slug", "title", "body_markdown", "estimated_minutes")
MINUTES_MAX = 600


def _lesson_check(lesson: Lesson) -> None:
    errors: dict[str, list[str]] = {}
    content_title_check(lesson, errors)
    if not 1 <= lesson.estimated_minutes <= MINUTES_MAX:
        errors["estimated_minutes"] = [f"Must be between 1 and {MINUTES_MAX}."]
    if not lesson.body_markdown.strip() and Course.objects.filter(pk=lesson.course_id, is_published=True).exists():
        # A draft may hold empty lessons; learners never see one (publishing refuses them too).
        errors["body_markdown"] = ["A lesson of a published course needs a body."]
    if errors:
        raise ValidationError(errors)
    content_slug_validate(slug=lesson.slug)
    if Lesson.objects.filter(course_id=lesson.course_id, slug=lesson.slug).exclude(pk=lesson.pk).exists():
        raise ValidationError({"slug": ["A lesson with this slug already exists in this course."]})


@transaction.atomic
def lesson_create(
    *,
    module: Module,
    slug: str,
    title: str,
    body_markdown: str,
    position: int | None = None,
    estimated_minutes: int | None = None,
) -> Lesson:
    """Add a lesson to ``module`` at ``position`` (default: after the last lesson; the lessons at or
    after a taken position move down one). The body is rendered to sanitized HTML now; the estimate
    defaults to the body's reading time. Learners' progress is recomputed after commit."""
    module = module_lock(module_id=module.pk)  # serialises reorders in the module
    position_validate(position=position)
    body_markdown = body_markdown or ""
    lesson = Lesson(
        module=module,
        course_id=module.course_id,
        slug=slug,
        title=title,
        body_markdown=body_markdown,
        body_html=render_markdown(body_markdown),
        estimated_minutes=estimated_minutes if estimated_minutes is not None else estimate_minutes(body_markdown),
        position=1,
    )
    _lesson_check(lesson)
    lesson.position = position_make_room(siblings=Lesson.objects.filter(module=module), position=position)
    with content_save_guard():
        lesson.save()
    course_draft_changed(course_id=module.course_id)
    return lesson


@transaction.atomic
def lesson_update(*, lesson: Lesson, **fields) -> Lesson:
    """Change a lesson's ``slug``, ``title``, ``body_markdown`` or ``estimated_minutes`` (None: estimate
    from the body). A new body is rendered at once. Text only: outlines are invalidated, progress
    stays valid. Positions and modules change through ``lesson_move``."""
    if unknown := set(fields) - set(LESSON_FIELDS):
        raise TypeError(f"lesson_update() got unexpected fields: {', '.join(sorted(unknown))}")
    lesson = Lesson.objects.select_for_update(no_key=True).get(pk=lesson.pk)
    if "body_markdown" in fields:
        fields["body_markdown"] = fields["body_markdown"] or ""
    if "estimated_minutes" in fields and fields["estimated_minutes"] is None:
        fields["estimated_minutes"] = estimate_minutes(fields.get("body_markdown", lesson.body_markdown))
    changed = [name for name, value in fields.items() if getattr(lesson, name) != value]
    if not changed:
        return lesson
    for name in changed:
        setattr(lesson, name, fields[name])
    if "body_markdown" in changed:
        lesson.body_html = render_markdown(lesson.body_markdown)
        changed.append("body_html")
    _lesson_check(lesson)
    with content_save_guard():
        lesson.save(update_fields=[*changed, "updated_at"])
    course_touch(course_id=lesson.course_id)
    return lesson


@transaction.atomic
def lesson_delete(*, lesson: Lesson) -> None:
    """Delete a lesson (with its completions); the lessons after it move up one. Learners' progress is
    recomputed after commit; certificates already issued stay valid."""
    Module.objects.select_for_update(no_key=True).filter(pk=lesson.module_id).first()
    lesson = Lesson.objects.get(pk=lesson.pk)
    lesson.delete()
    position_close_gap(siblings=Lesson.objects.filter(module_id=lesson.module_id), position=lesson.position)
    course_draft_changed(course_id=lesson.course_id)


@transaction.atomic
def lesson_move(*, lesson: Lesson, position: int, module: Module | None = None) -> Lesson:
    """Move a lesson to ``position`` in ``module`` (default: its own module) of the same course; the
    lessons around it shift so positions stay unique and gapless."""
    return module_item_move(item=lesson, position=position, module=module)
