"""Writes for courses, modules, enrollments, progress and certificates."""

import logging
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, Max, QuerySet
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from config import rawsql
from config.errors import ApplicationError
from config.tasks import enqueue_on_commit
from courseware.catalog_cache import catalog_changed
from courseware.models import Certificate, Course, Enrollment, EnrollmentEvent, Module
from courseware.selectors import course_outline, enrollment_progress_covers, progress_snapshot

logger = logging.getLogger(__name__)


# --- Content changes ----------------------------------------------------------------------------
def course_content_changed(*, course_id: int) -> None:
    """Call after lessons or quizzes of a course are added, removed or moved (inside the same
    transaction). Bumps the content version, which makes every enrollment's stored progress stale
    and every cached outline invalid, and has the progress pipeline recompute after commit."""
    from courseware import tasks

    Course.objects.filter(pk=course_id).update(content_version=F("content_version") + 1, updated_at=timezone.now())
    catalog_changed()  # lesson and quiz counts are on the catalog
    enqueue_on_commit(tasks.refresh_course_progress, course_id)


# --- Enrollment ---------------------------------------------------------------------------------
def _record_event(enrollment: Enrollment, action: str, actor: User | None) -> None:
    EnrollmentEvent.objects.create(enrollment=enrollment, action=action, actor=actor)


def _check_enrollment_open(course: Course) -> None:
    now = timezone.now()
    if course.enrollment_opens_at and now < course.enrollment_opens_at:
        raise ApplicationError(
            f"Enrollment opens at {course.enrollment_opens_at.isoformat()}.", code="enrollment_not_open"
        )
    if course.enrollment_closes_at and now >= course.enrollment_closes_at:
        raise ApplicationError(
            f"Enrollment closed at {course.enrollment_closes_at.isoformat()}.", code="enrollment_closed"
        )


def _check_capacity(course: Course) -> None:
    if course.capacity is None:
        return
    taken = Enrollment.objects.filter(course=course).exclude(status=Enrollment.Status.DROPPED).count()
    if taken >= course.capacity:
        raise ApplicationError(f"The course is full ({course.capacity} places).", code="course_full")


@transaction.atomic
def enrollment_create(
    *, learner: User, course: Course, actor: User | None = None, enforce_limits: bool = True
) -> tuple[Enrollment, bool]:
    """Enroll ``learner`` (idempotent). Returns ``(enrollment, changed)``: ``changed`` is False when
    the learner already held an active or completed enrollment. A dropped enrollment is restored,
    with its progress. Window and capacity apply to self-enrollment (``enforce_limits``); admins
    enrolling a class bypass them."""
    if not course.is_published and enforce_limits:
        raise ApplicationError("This course is not open for enrollment.", code="not_published")
    existing = Enrollment.objects.select_for_update().filter(learner=learner, course=course).first()
    if existing and existing.status != Enrollment.Status.DROPPED:
        return existing, False
    if enforce_limits:
        _check_enrollment_open(course)
        if course.capacity is not None:
            # Serialise enrollments of a capped course so two last-place requests cannot both win.
            Course.objects.select_for_update().filter(pk=course.pk).first()
            _check_capacity(course)
    actor = actor or learner
    if existing:  # dropped: restore, progress kept
        existing.status = Enrollment.Status.ACTIVE
        existing.dropped_at = None
        existing.save(update_fields=["status", "dropped_at", "updated_at"])
        _record_event(existing, EnrollmentEvent.Action.REENROLLED, actor)
        enrollment_progress_recompute(enrollment_id=existing.pk)
        existing.refresh_from_db()
        return existing, True
    try:
        with transaction.atomic():
            enrollment = Enrollment.objects.create(learner=learner, course=course, last_activity_at=timezone.now())
    except IntegrityError:
        # A concurrent request enrolled the same learner first: that enrollment is the answer.
        return Enrollment.objects.get(learner=learner, course=course), False
    _record_event(enrollment, EnrollmentEvent.Action.ENROLLED, actor)
    _queue_welcome_email(enrollment)
    return enrollment, True


def _queue_welcome_email(enrollment: Enrollment) -> None:
    from notifications.services import email_queue

    email_queue(
        kind="welcome",
        key=f"welcome:{enrollment.pk}",
        user=enrollment.learner,
        context={"enrollment_id": enrollment.pk, "course_id": enrollment.course_id},
    )


@transaction.atomic
def enrollment_drop(*, enrollment: Enrollment, actor: User) -> Enrollment:
    """Drop an enrollment (idempotent). Completions, attempts and any certificate are kept."""
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if enrollment.status == Enrollment.Status.DROPPED:
        return enrollment
    enrollment.status = Enrollment.Status.DROPPED
    enrollment.dropped_at = timezone.now()
    enrollment.save(update_fields=["status", "dropped_at", "updated_at"])
    _record_event(enrollment, EnrollmentEvent.Action.DROPPED, actor)
    return enrollment


@dataclass
class BulkEnrollmentReport:
    enrolled: list[str] = field(default_factory=list)
    already_enrolled: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def enrollments_bulk_create(*, course: Course, identifiers: list[str], actor: User) -> BulkEnrollmentReport:
    """Enroll learners named by username or email (case-insensitive). Each is enrolled in its own
    transaction, so overlapping bulk requests never conflict; the report names each identifier once."""
    from django.db.models import Q
    from django.db.models.functions import Lower

    report = BulkEnrollmentReport()
    wanted: dict[str, str] = {}
    for raw in identifiers:
        ident = raw.strip()
        if ident and ident.lower() not in wanted:
            wanted[ident.lower()] = ident
    keys = list(wanted)
    users = (
        User.objects.annotate(u=Lower("username"), e=Lower("email"))
        .filter(Q(u__in=keys) | Q(e__in=keys))
        .filter(is_active=True)
    )
    by_key: dict[str, User] = {}
    for user in users:
        by_key.setdefault(user.username.lower(), user)
        if user.email:
            by_key.setdefault(user.email.lower(), user)
    seen_users: set[int] = set()
    for key, ident in wanted.items():
        user = by_key.get(key)
        if user is None:
            report.unknown.append(ident)
            continue
        if user.pk in seen_users:
            report.already_enrolled.append(ident)
            continue
        seen_users.add(user.pk)
        _, changed = enrollment_create(learner=user, course=course, actor=actor, enforce_limits=False)
        (report.enrolled if changed else report.already_enrolled).append(ident)
    return report


# --- Progress and certificates ------------------------------------------------------------------
def enrollment_activity_record(*, enrollment_id: int) -> int:
    """Note a learner's activity in the caller's transaction (a lesson completed, a quiz attempt
    submitted): stamp ``last_activity_at`` and bump ``activity_seq``. Returns the new sequence number,
    which the progress task carries.

    The UPDATE holds the enrollment's row lock until the caller commits, so a recompute that reads the
    sequence under that lock also sees every completion and attempt numbered up to it."""
    from django.db import connection

    table = Enrollment._meta.db_table
    with connection.cursor() as cursor:  # one round trip (UPDATE ... RETURNING: PostgreSQL, SQLite 3.35+)
        cursor.execute(
            f'UPDATE "{table}" SET "activity_seq" = "activity_seq" + 1, "last_activity_at" = %s '  # noqa: S608
            'WHERE "id" = %s RETURNING "activity_seq"',
            [timezone.now(), enrollment_id],
        )
        return cursor.fetchone()[0]


def enrollment_progress_recompute(*, enrollment_id: int, activity_seq: int | None = None) -> Enrollment | None:
    """Recompute one enrollment's progress from the source-of-truth rows, for the activity numbered
    ``activity_seq`` (None: unconditionally, as after a content change, from the reconcile sweep or
    from a message queued before activity was numbered). Idempotent. Returns the enrollment, or None
    when it is gone or its stored progress already covers ``activity_seq``.

    Covered means an earlier recompute, holding the row lock, read a sequence at least as high, at the
    course's current content version: that one cheap read, without a lock, ends the task. So a burst
    of completions by one learner costs one recompute, not one each, and a redelivered message none."""
    if activity_seq is not None and enrollment_progress_covers(enrollment_id=enrollment_id, activity_seq=activity_seq):
        return None
    return _enrollment_progress_recompute(enrollment_id=enrollment_id)


@transaction.atomic
def _enrollment_progress_recompute(*, enrollment_id: int) -> Enrollment | None:
    """The enrollment row is locked (not the course's: every recompute of the course would queue on
    it), so concurrent recomputes of one learner's course run one after another; the second finds the
    certificate already issued (and the unique constraint on (learner, course) stands behind the lock).
    A constant number of queries whatever the size of the course: its outline comes from the cache."""
    enrollment = _enrollment_lock(enrollment_id=enrollment_id)
    if enrollment is None:
        return None
    course = enrollment.course
    outline = course_outline(course=course)
    snap = progress_snapshot(learner_id=enrollment.learner_id, course_id=course.pk, outline=outline)
    now = timezone.now()
    enrollment.progress = snap.percent
    enrollment.completed_items = snap.done_items
    enrollment.progress_version = course.content_version
    enrollment.progress_seq = enrollment.activity_seq  # read under the lock: every activity up to it is counted
    enrollment.progress_computed_at = now
    fields = ["progress", "completed_items", "progress_version", "progress_seq", "progress_computed_at", "updated_at"]
    if snap.is_complete and enrollment.status == Enrollment.Status.ACTIVE:
        enrollment.status = Enrollment.Status.COMPLETED
        enrollment.completed_at = enrollment.completed_at or now
        fields += ["status", "completed_at"]
        _record_event(enrollment, EnrollmentEvent.Action.COMPLETED, None)
    rawsql.update_fields(enrollment, fields)  # nothing listens to enrollment saves
    if enrollment.status == Enrollment.Status.COMPLETED:
        certificate_issue(enrollment=enrollment)
    return enrollment


def _enrollment_lock(*, enrollment_id: int) -> Enrollment | None:
    """The enrollment with its course, the enrollment's row locked (not the course's), in one query
    written once (the ORM compiles this join again on every task)."""
    from django.db import connection

    lock = " FOR UPDATE OF e" if connection.features.has_select_for_update_of else ""
    sql = (
        f"SELECT {rawsql.columns(Enrollment, 'e')}, {rawsql.columns(Course, 'c')} "  # noqa: S608
        f'FROM "{Enrollment._meta.db_table}" e JOIN "{Course._meta.db_table}" c ON c."id" = e."course_id" '
        f'WHERE e."id" = %s{lock}'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [enrollment_id])
        row = cursor.fetchone()
    if row is None:
        return None
    n = len(Enrollment._meta.concrete_fields)
    enrollment = rawsql.instance(Enrollment, row[:n])
    Enrollment.course.field.set_cached_value(enrollment, rawsql.instance(Course, row[n:]))
    return enrollment


def certificate_issue(*, enrollment: Enrollment) -> tuple[Certificate, bool]:
    """Issue the enrollment's certificate exactly once and queue its email (idempotent)."""
    with transaction.atomic():
        certificate = Certificate.objects.filter(
            learner_id=enrollment.learner_id, course_id=enrollment.course_id
        ).first()
        created = False
        if certificate is None:
            learner = enrollment.learner
            try:
                with transaction.atomic():
                    certificate = Certificate.objects.create(
                        learner=learner,
                        course=enrollment.course,
                        learner_name=learner.display_name,
                        course_title=enrollment.course.title,
                    )
                created = True
            except IntegrityError:
                certificate = Certificate.objects.get(learner_id=enrollment.learner_id, course_id=enrollment.course_id)
        if not certificate.revoked:
            certificate_email_queue(certificate=certificate)
    return certificate, created


def certificate_email_queue(*, certificate: Certificate, resend: bool = False) -> None:
    from notifications.services import email_queue

    email_queue(
        kind="certificate",
        key=f"certificate:{certificate.code}",
        user=certificate.learner,
        context={"certificate_id": certificate.pk},
        resend=resend,
    )


@transaction.atomic
def certificate_revoke(*, certificate: Certificate, reason: str = "") -> Certificate:
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if not certificate.revoked:
        certificate.revoked = True
        certificate.revoked_at = timezone.now()
        certificate.revoked_reason = reason[:300]
        certificate.save(update_fields=["revoked", "revoked_at", "revoked_reason"])
    return certificate


@transaction.atomic
def certificate_reinstate(*, certificate: Certificate) -> Certificate:
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if certificate.revoked:
        certificate.revoked = False
        certificate.revoked_at = None
        certificate.revoked_reason = ""
        certificate.save(update_fields=["revoked", "revoked_at", "revoked_reason"])
    return certificate


@transaction.atomic
def certificate_reissue(*, certificate: Certificate) -> Certificate:
    """Replace a certificate with a fresh one (new code, current names), e.g. after a name change or
    a leaked code. The old code stops verifying; the new certificate is emailed."""
    old = Certificate.objects.select_for_update().select_related("learner", "course").get(pk=certificate.pk)
    learner, course = old.learner, old.course
    old.delete()
    new = Certificate.objects.create(
        learner=learner, course=course, learner_name=learner.display_name, course_title=course.title
    )
    certificate_email_queue(certificate=new)
    return new


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
    from accounts.selectors import user_is_instructor
    from config.errors import Forbidden

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
    course = Course.objects.select_for_update().get(pk=course.pk)
    changed = [name for name, value in fields.items() if name in COURSE_FIELDS and getattr(course, name) != value]
    for name in changed:
        setattr(course, name, fields[name])
    if changed:
        _check_course_fields(course)
        course.save(update_fields=[*changed, "updated_at"])
    return course


@transaction.atomic
def course_publish(*, course: Course) -> Course:
    from lessons.models import Lesson

    course = Course.objects.select_for_update().get(pk=course.pk)
    lessons = list(
        Lesson.objects.filter(course=course).order_by("module__position", "position").values("title", "body_markdown")
    )
    if not lessons:
        raise ApplicationError("A course needs at least one lesson before it can be published.", code="no_lessons")
    if empty := [lesson["title"] for lesson in lessons if not lesson["body_markdown"].strip()]:
        raise ApplicationError(
            f"Every lesson needs a body before the course can be published; empty: {', '.join(empty)}.",
            code="empty_lessons",
        )
    if not course.is_published:
        course.is_published = True
        course.published_at = course.published_at or timezone.now()
        course.save(update_fields=["is_published", "published_at", "updated_at"])
    return course


@transaction.atomic
def course_unpublish(*, course: Course) -> Course:
    course = Course.objects.select_for_update().get(pk=course.pk)
    if course.is_published:
        course.is_published = False
        course.save(update_fields=["is_published", "updated_at"])
    return course


def course_touch(*, course_id: int) -> None:
    """Call after text of a course's content changes (titles, bodies): invalidates cached outlines
    without marking learners' progress stale."""
    Course.objects.filter(pk=course_id).update(updated_at=timezone.now())
    catalog_changed()


# --- Authoring: positions and slugs of course content ---------------------------------------------
# Modules (per course), lessons and quizzes (each per module) hold unique positions >= 1. A reorder
# shifts the others in two phases: park the rows far above every real position, then land them on
# their final ones, so the unique (parent, position) constraint never sees two rows on one position.
POSITION_MAX = 999_999
_PARKED = 1_000_000_000
CONTENT_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
CONTENT_SLUG_MAX = 100


def position_validate(*, position: int | None, field: str = "position") -> None:
    if position is not None and not 1 <= position <= POSITION_MAX:
        raise ValidationError({field: [f"Must be between 1 and {POSITION_MAX}."]})


def _positions_shift(rows: QuerySet, delta: int) -> None:
    pks = list(rows.values_list("pk", flat=True))
    if not pks:
        return
    model = rows.model
    model.objects.filter(pk__in=pks).update(position=F("position") + _PARKED)
    model.objects.filter(pk__in=pks).update(position=F("position") - _PARKED + delta)


def position_make_room(*, siblings: QuerySet, position: int | None) -> int:
    """The position an item joining ``siblings`` takes: ``position`` (the siblings at or after it move
    up one when it is taken), or after the last one when ``position`` is None."""
    if position is None:
        last = siblings.aggregate(last=Max("position"))["last"]
        return (last or 0) + 1
    if siblings.filter(position=position).exists():
        _positions_shift(siblings.filter(position__gte=position), +1)
    return position


def position_close_gap(*, siblings: QuerySet, position: int) -> None:
    """Close the gap an item leaving ``siblings`` at ``position`` leaves (those after it move down one)."""
    _positions_shift(siblings.filter(position__gt=position), -1)


def position_move(
    *, item: models.Model, old_siblings: QuerySet, new_siblings: QuerySet, position: int, **changes
) -> None:
    """Move ``item`` to ``position`` among ``new_siblings`` (both sibling sets exclude the item; they
    are the same set for a move within one parent). ``changes`` (e.g. ``module_id``) are saved with it."""
    type(item).objects.filter(pk=item.pk).update(position=2 * _PARKED)
    position_close_gap(siblings=old_siblings, position=item.position)
    item.position = position_make_room(siblings=new_siblings, position=position)
    for name, value in changes.items():
        setattr(item, name, value)
    item.save(update_fields=["position", *changes, "updated_at"])


def module_item_move(*, item: models.Model, position: int, module: Module | None = None) -> models.Model:
    """Move a lesson or quiz (``item``: a row with ``module``, ``course`` and ``position``) to
    ``position`` in ``module`` (default: its own module), which must belong to the same course. Its
    siblings shift so positions stay unique and gapless. Call inside a transaction."""
    kind = item._meta.verbose_name
    target_id = module.pk if module is not None else item.module_id
    if module is not None and module.course_id != item.course_id:
        raise ValidationError({"module": [f"Must be a module of the {kind}'s course."]})
    position_validate(position=position)
    for module_id in sorted({item.module_id, target_id}):  # lock both modules, in a fixed order
        Module.objects.select_for_update().filter(pk=module_id).first()
    model = type(item)
    item = model.objects.get(pk=item.pk)
    if (item.module_id, item.position) == (target_id, position):
        return item
    others = model.objects.exclude(pk=item.pk)
    position_move(
        item=item,
        old_siblings=others.filter(module_id=item.module_id),
        new_siblings=others.filter(module_id=target_id),
        position=position,
        module_id=target_id,
    )
    course_content_changed(course_id=item.course_id)
    return item


def module_lock(*, module_id: int) -> Module:
    """Lock a module's row (serialising reorders of its lessons and quizzes); 404 when it is gone."""
    from config.errors import NotFound

    module = Module.objects.select_for_update().filter(pk=module_id).first()
    if module is None:
        raise NotFound("No module with this id.")
    return module


@contextmanager
def content_save_guard() -> Iterator[None]:
    """A unique slug or position taken by a concurrent request between the check and the save → 409."""
    from config.errors import Conflict

    try:
        yield
    except IntegrityError:
        raise Conflict("A concurrent change took this slug or position; try again.", code="concurrent_change")


def content_title_check(item: models.Model, errors: dict[str, list[str]]) -> None:
    """Strip a lesson's or quiz's title in place and record what is wrong with it in ``errors``."""
    item.title = (item.title or "").strip()
    if not item.title:
        errors["title"] = ["This field may not be blank."]
    elif len(item.title) > 200:
        errors["title"] = ["At most 200 characters."]


def content_slug_validate(*, slug: str, field: str = "slug") -> None:
    """Slugs of modules, lessons and quizzes: what the course-as-code format accepts."""
    if not isinstance(slug, str) or not CONTENT_SLUG_RE.match(slug):
        raise ValidationError({field: ["Use lowercase letters, digits and hyphens, starting with a letter or digit."]})
    if len(slug) > CONTENT_SLUG_MAX:
        raise ValidationError({field: [f"At most {CONTENT_SLUG_MAX} characters."]})


def content_slug_from_title(*, title: str, existing: QuerySet, fallback: str) -> str:
    """A slug for ``title`` not yet used in ``existing`` (a queryset of the same kind in the course)."""
    base = slugify(title).replace("_", "-").strip("-")[: CONTENT_SLUG_MAX - 8].strip("-") or fallback
    used = set(existing.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in used:
        slug, n = f"{base}-{n}", n + 1
    return slug


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
    course = Course.objects.select_for_update().get(pk=course.pk)  # serialises reorders of the course
    position_validate(position=position)
    siblings = Module.objects.filter(course=course)
    if slug is None:
        slug = content_slug_from_title(title=title or "", existing=siblings, fallback="module")
    module = Module(course=course, title=title, slug=slug, summary=summary or "", position=1)
    _module_check(module)
    module.position = position_make_room(siblings=siblings, position=position)
    with content_save_guard():
        module.save()
    course_content_changed(course_id=course.pk)
    return module


@transaction.atomic
def module_update(*, module: Module, **fields) -> Module:
    """Change a module's ``slug``, ``title`` or ``summary`` (text only: cached outlines are invalidated,
    progress stays valid). Positions change through ``module_move``."""
    if unknown := set(fields) - set(MODULE_FIELDS):
        raise TypeError(f"module_update() got unexpected fields: {', '.join(sorted(unknown))}")
    module = Module.objects.select_for_update().get(pk=module.pk)
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
    course = Course.objects.select_for_update().get(pk=module.course_id)
    module = Module.objects.get(pk=module.pk)
    module.delete()
    position_close_gap(siblings=Module.objects.filter(course=course), position=module.position)
    course_content_changed(course_id=course.pk)


@transaction.atomic
def module_move(*, module: Module, position: int) -> Module:
    """Move a module to ``position`` in its course; the others shift to make room."""
    Course.objects.select_for_update().filter(pk=module.course_id).first()
    position_validate(position=position)
    module = Module.objects.get(pk=module.pk)
    if module.position != position:
        siblings = Module.objects.filter(course_id=module.course_id).exclude(pk=module.pk)
        position_move(item=module, old_siblings=siblings, new_siblings=siblings, position=position)
        course_content_changed(course_id=module.course_id)
    return module


# --- Authoring: a course's instructors ----------------------------------------------------------------
@transaction.atomic
def course_instructor_add(*, course: Course, username: str) -> tuple[User, bool]:
    """Name a co-instructor of ``course``, who must hold the instructor role. Idempotent: returns
    ``(user, added)`` with ``added`` False when they already teach it."""
    from accounts.selectors import user_is_instructor

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
    from config.errors import NotFound

    course = Course.objects.select_for_update().get(pk=course.pk)  # two removals cannot leave none
    user = course.instructors.filter(username__iexact=username).first()
    if user is None:
        raise NotFound(f"{username} is not an instructor of this course.")
    if course.instructors.count() <= 1:
        raise ApplicationError(
            "A course keeps at least one instructor: add another before removing this one.", code="last_instructor"
        )
    course.instructors.remove(user)
    course_touch(course_id=course.pk)


# --- Authoring: courses as code over the API ------------------------------------------------------------
COURSE_ARCHIVE_MAX_UPLOAD = 10 * 1024 * 1024


class UploadTooLarge(ApplicationError):
    status_code = 413
    code = "too_large"


def course_archive_import(*, actor: User, fileobj: BinaryIO, size: int, dry_run: bool = False):
    """Create or update a course from an uploaded zip of a course folder (docs/content-format.md) and
    return the ``ImportReport``. Instructors only; the course's slug must be new or one ``actor``
    teaches (admins: any). A new course names ``actor`` among its instructors; instructors named in
    ``course.yaml`` who do not teach it yet must hold the instructor role. Nothing is written when the
    archive or its content is invalid, and a dry run writes nothing at all."""
    from accounts.selectors import user_is_instructor
    from config.errors import Forbidden
    from courseware.coursecode import (
        ContentError,
        CourseContentInvalid,
        course_folder_load,
        course_import,
        course_zip_extract,
    )
    from courseware.selectors import course_can_write

    if not user_is_instructor(actor):
        raise Forbidden("Only instructors and admins may import courses.")
    if size > COURSE_ARCHIVE_MAX_UPLOAD:
        raise UploadTooLarge(f"The upload is larger than {COURSE_ARCHIVE_MAX_UPLOAD} bytes.")
    with tempfile.TemporaryDirectory(prefix="course-upload-") as tmp:
        folder = course_zip_extract(fileobj=fileobj, dest=Path(tmp) / "upload")
        spec = course_folder_load(path=folder)
        with transaction.atomic():
            course = Course.objects.select_for_update().filter(slug=spec.slug).first()
            if course is not None and not course_can_write(course=course, user=actor):
                raise Forbidden(f"A course with the slug {spec.slug!r} exists and you do not teach it.")
            errors = []
            for name in spec.instructors:
                user = User.objects.filter(username__iexact=name).first()
                teaches = course is not None and user is not None and course.instructors.filter(pk=user.pk).exists()
                if user is not None and not teaches and not user_is_instructor(user):
                    errors.append(
                        ContentError("course.yaml", "instructors", f"{name!r} does not hold the instructor role")
                    )
            if errors:
                raise CourseContentInvalid(errors)
            report = course_import(spec=spec, dry_run=dry_run, importer=actor)
            if report.created and not dry_run:
                Course.objects.get(pk=report.course_id).instructors.add(actor)
    return report
