"""Writes for course structure: courses, modules, their instructors, and the content-change hook."""

import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from accounts.selectors import user_is_instructor
from config.errors import ApplicationError, Forbidden, NotFound
from courseware.models import Course, Module
from courseware.structure.changes import course_draft_changed, course_touch
from courseware.structure.positions import (
    content_save_guard,
    content_slug_from_title,
    content_slug_validate,
    position_close_gap,
    position_make_room,
    position_move,
    position_validate,
)

logger = logging.getLogger(__name__)


# --- Authoring: courses ---------------------------------------------------------------------------
COURSE_FIELDS = (
    "slug", "title", "summary", "description", "estimated_hours", "sequential", "capacity",
    "enrollment_opens_at", "enrollment_closes_at",
)  # fmt: skip


# Slugs that would shadow an API route under /api/courses/.
RESERVED_COURSE_SLUGS = frozenset({"import"})


def _check_course_fields(course: Course) -> None:
    from django.core.exceptions import ValidationError

    if course.slug in RESERVED_COURSE_SLUGS:
        raise ValidationError({"slug": [f"'{course.slug}' is reserved; choose another slug."]})
    if Course.objects.filter(slug=course.slug).exclude(pk=course.pk).exists():
        raise ValidationError({"slug": ["A course with this slug already exists."]})
    opens, closes = course.enrollment_opens_at, course.enrollment_closes_at
    if opens and closes and closes <= opens:
        raise ValidationError({"enrollment_closes_at": ["Must be later than enrollment_opens_at."]})


@transaction.atomic
def course_create(*, actor: User, slug: str, title: str, summary: str, **fields) -> Course:
    """Create an unpublished course; the creator becomes one of its instructors."""

    if not user_is_instructor(actor):
        raise Forbidden("Only instructors and admins may create courses.")
    course = Course(slug=slug, title=title, summary=summary, **{k: v for k, v in fields.items() if k in COURSE_FIELDS})
    _check_course_fields(course)
    try:
        with transaction.atomic():
            course.save()
    except IntegrityError:
        from django.core.exceptions import ValidationError

        raise ValidationError({"slug": ["A course with this slug already exists."]})
    course.instructors.add(actor)
    return course


@transaction.atomic
def course_update(*, course: Course, **fields) -> Course:
    course = Course.objects.select_for_update(no_key=True).get(pk=course.pk)
    changed = [name for name, value in fields.items() if name in COURSE_FIELDS and getattr(course, name) != value]
    for name in changed:
        setattr(course, name, fields[name])
    if changed:
        _check_course_fields(course)
        course.save(update_fields=[*changed, "updated_at"])
    return course


@transaction.atomic
def course_unpublish(*, course: Course) -> Course:
    course = Course.objects.select_for_update(no_key=True).get(pk=course.pk)
    if course.is_published:
        course.is_published = False
        course.save(update_fields=["is_published", "updated_at"])
    return course


def _text_required(value: str, *, field: str, max_length: int | None = None) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: ["This field may not be blank."]})
    if max_length is not None and len(value) > max_length:
        raise ValidationError({field: [f"At most {max_length} characters."]})
    return value


# --- Authoring: modules -----------------------------------------------------------------------------
MODULE_FIELDS = ("slug", "title", "summary")


def _module_check(module: Module) -> None:
    module.title = _text_required(module.title, field="title", max_length=200)
    content_slug_validate(slug=module.slug)
    if Module.objects.filter(course_id=module.course_id, slug=module.slug).exclude(pk=module.pk).exists():
        raise ValidationError({"slug": ["A module with this slug already exists in this course."]})


@transaction.atomic
def module_create(
    *, course: Course, title: str, position: int | None = None, slug: str | None = None, summary: str = ""
) -> Module:
    """Add a module to ``course`` at ``position`` (default: after the last); a slug is made from the title
    when none is given."""
    course = Course.objects.select_for_update(no_key=True).get(pk=course.pk)  # serialises reorders of the course
    position_validate(position=position)
    siblings = Module.objects.filter(course=course)
    if slug is None:
        slug = content_slug_from_title(title=title or "", existing=siblings, fallback="module")
    module = Module(course=course, title=title, slug=slug, summary=summary or "", position=1)
    _module_check(module)
    module.position = position_make_room(siblings=siblings, position=position)
    with content_save_guard():
        module.save()
    course_draft_changed(course_id=course.pk)
    return module


@transaction.atomic
def module_update(*, module: Module, **fields) -> Module:
    """Change a module's ``slug``, ``title`` or ``summary`` (text only: cached outlines are invalidated,
    progress stays valid). Positions change through ``module_move``."""
    if unknown := set(fields) - set(MODULE_FIELDS):
        raise TypeError(f"module_update() got unexpected fields: {', '.join(sorted(unknown))}")
    module = Module.objects.select_for_update(no_key=True).get(pk=module.pk)
    changed = [name for name, value in fields.items() if getattr(module, name) != value]
    for name in changed:
        setattr(module, name, fields[name] if fields[name] is not None else "")
    if changed:
        _module_check(module)
        with content_save_guard():
            module.save(update_fields=[*changed, "updated_at"])
        course_touch(course_id=module.course_id)
    return module


@transaction.atomic
def module_delete(*, module: Module) -> None:
    """Delete a module with its lessons and quizzes (and their completions and attempts); the modules
    after it move up one. Certificates already issued stay valid."""
    course = Course.objects.select_for_update(no_key=True).get(pk=module.course_id)
    module = Module.objects.get(pk=module.pk)
    module.delete()
    position_close_gap(siblings=Module.objects.filter(course=course), position=module.position)
    course_draft_changed(course_id=course.pk)


@transaction.atomic
def module_move(*, module: Module, position: int) -> Module:
    """Move a module to ``position`` in its course; the others shift to make room."""
    Course.objects.select_for_update(no_key=True).filter(pk=module.course_id).first()
    position_validate(position=position)
    module = Module.objects.get(pk=module.pk)
    if module.position != position:
        siblings = Module.objects.filter(course_id=module.course_id).exclude(pk=module.pk)
        position_move(item=module, old_siblings=siblings, new_siblings=siblings, position=position)
        course_draft_changed(course_id=module.course_id)
    return module


# --- Authoring: a course's instructors ----------------------------------------------------------------
@transaction.atomic
def course_instructor_add(*, course: Course, username: str) -> tuple[User, bool]:
    """Name a co-instructor of ``course``, who must hold the instructor role. Idempotent: returns
    ``(user, added)`` with ``added`` False when they already teach it."""

    user = User.objects.filter(username__iexact=(username or "").strip(), is_active=True).first()
    if user is None:
        raise ApplicationError("No active user with this username.", field="username", code="unknown_user")
    if course.instructors.filter(pk=user.pk).exists():
        return user, False
    if not user_is_instructor(user):
        raise ApplicationError(
            f"{user.username} does not hold the instructor role; an admin must grant it (POST /api/instructors/).",
            field="username",
            code="not_an_instructor",
        )
    course.instructors.add(user)
    course_touch(course_id=course.pk)  # the cached course page lists its instructors
    return user, True


@transaction.atomic
def course_instructor_remove(*, course: Course, username: str) -> None:
    """Stop ``username`` teaching ``course``. A course always keeps at least one instructor."""

    course = Course.objects.select_for_update(no_key=True).get(pk=course.pk)  # two removals cannot leave none
    user = course.instructors.filter(username__iexact=username).first()
    if user is None:
        raise NotFound(f"{username} is not an instructor of this course.")
    if course.instructors.count() <= 1:
        raise ApplicationError(
            "A course keeps at least one instructor: add another before removing this one.", code="last_instructor"
        )
    course.instructors.remove(user)
    course_touch(course_id=course.pk)
