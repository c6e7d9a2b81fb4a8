"""Every database constraint of the models is enforced by the database itself: violating it raises
``IntegrityError`` (on SQLite and on PostgreSQL), whatever the code above it does."""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from accounts.models import User
from courseware.models import Certificate, ContentBlob, Course, CourseVersion, Enrollment, Module, VersionItem
from lessons.models import Lesson, LessonCompletion
from notifications.models import OutboundEmail
from quizzes.models import AttemptAnswer, Choice, Question, Quiz, QuizAttempt, QuizOverride, Regrade, RegradeChange
from tests.factories import (
    CertificateFactory,
    ChoiceFactory,
    CourseFactory,
    EnrollmentFactory,
    LessonCompletionFactory,
    LessonFactory,
    ModuleFactory,
    QuestionFactory,
    QuizAttemptFactory,
    QuizFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NOW = timezone.now()
PROJECT_APPS = {"accounts", "courseware", "lessons", "quizzes", "notifications"}


def _update(factory, **values) -> Callable[[], None]:
    """Violate a check constraint by updating a valid row (``update`` skips model validation)."""

    def violate() -> None:
        row = factory()
        type(row).objects.filter(pk=row.pk).update(**values)

    return violate


def _duplicate(factory, **same) -> Callable[[], None]:
    """Violate a unique constraint: a second row sharing the constrained values of a first one."""

    def violate() -> None:
        first = factory()
        factory(**{name: getattr(first, name) if value is ... else value for name, value in same.items()})

    return violate


def _regrade(**values) -> Regrade:
    return Regrade.objects.create(**{"quiz": values.get("quiz") or QuizFactory(), "key_version": 0})


def _regrade_change(*, twice: bool) -> None:
    attempt = QuizAttemptFactory()
    regrade = _regrade(quiz=attempt.quiz)
    for _ in range(2 if twice else 1):
        RegradeChange.objects.create(
            regrade=regrade, attempt=attempt, learner=attempt.learner, old_score=0, new_score=1,
            old_passed=False, new_passed=False,
        )  # fmt: skip


def _override(*, twice: bool) -> None:
    attempt = QuizAttemptFactory()
    for _ in range(2 if twice else 1):
        QuizOverride.objects.create(quiz=attempt.quiz, learner=attempt.learner, course=attempt.quiz.course)


def _attempt_answer(**values) -> AttemptAnswer:
    attempt = QuizAttemptFactory()
    question = QuestionFactory(quiz=attempt.quiz)
    return AttemptAnswer.objects.create(
        attempt=attempt, question=question, **{"choices": [], "is_correct": True, "credit": 1, **values}
    )


def _email(**values) -> OutboundEmail:
    return OutboundEmail.objects.create(**{"key": "k-1", "kind": "welcome", "recipient": "a@example.com", **values})


def _last_course() -> Course:
    return Course.objects.order_by("-pk").first()


def _version(*, number: int, course: Course | None = None) -> CourseVersion:
    return CourseVersion.objects.create(course=course or CourseFactory(), number=number, published_at=NOW)


def _item(*, since: int, until: int | None = None) -> VersionItem:
    course = _last_course() or CourseFactory()
    blob, _ = ContentBlob.objects.get_or_create(digest="0" * 64, defaults={"payload": {}, "size": 2})
    return VersionItem.objects.create(
        course=course, kind="lesson", item_id=999, position=1, meta={}, blob=blob, since=since, until=until
    )


CASES: list[tuple[type[models.Model], str, Callable[[], None]]] = [
    # accounts
    (
        User,
        "user_username_ci_unique",
        lambda: [UserFactory(username="Alice", email="one@example.com"), UserFactory(username="alice", email="")],
    ),
    (User, "user_email_ci_unique", lambda: [UserFactory(email="A@example.com"), UserFactory(email="a@EXAMPLE.com")]),
    # courseware
    (Course, "course_hours_non_negative", _update(CourseFactory, estimated_hours=Decimal("-0.1"))),
    (Course, "course_capacity_positive", _update(CourseFactory, capacity=0)),
    (
        Course,
        "course_enrollment_window_ordered",
        _update(CourseFactory, enrollment_opens_at=NOW, enrollment_closes_at=NOW - timedelta(hours=1)),
    ),
    (Module, "module_position_unique", _duplicate(ModuleFactory, course=..., position=...)),
    (Module, "module_slug_unique", _duplicate(ModuleFactory, course=..., slug=...)),
    (Module, "module_position_positive", _update(ModuleFactory, position=0)),
    (Enrollment, "enrollment_unique", _duplicate(EnrollmentFactory, learner=..., course=...)),
    (Enrollment, "enrollment_progress_range", _update(EnrollmentFactory, progress=101)),
    (Enrollment, "enrollment_status_valid", _update(EnrollmentFactory, status="paused")),
    (Enrollment, "enrollment_progress_seq_not_ahead", _update(EnrollmentFactory, progress_seq=1)),
    (Certificate, "certificate_unique", _duplicate(CertificateFactory, learner=..., course=...)),
    (CourseVersion, "course_version_unique", lambda: [_version(number=1), _version(number=1, course=_last_course())]),
    (CourseVersion, "course_version_positive", lambda: _version(number=0)),
    (VersionItem, "version_item_unique", lambda: [_item(since=1, until=2), _item(since=1, until=3)]),
    (VersionItem, "version_item_published_unique", lambda: [_item(since=1), _item(since=2)]),
    (VersionItem, "version_item_span_ordered", lambda: _item(since=2, until=2)),
    # lessons
    (Lesson, "lesson_position_unique", _duplicate(LessonFactory, module=..., course=..., position=...)),
    (Lesson, "lesson_slug_unique", _duplicate(LessonFactory, course=..., slug=...)),
    (Lesson, "lesson_position_positive", _update(LessonFactory, position=0)),
    (Lesson, "lesson_minutes_range", _update(LessonFactory, estimated_minutes=0)),
    (Lesson, "lesson_minutes_range", _update(LessonFactory, estimated_minutes=601)),
    (LessonCompletion, "lesson_completion_unique", _duplicate(LessonCompletionFactory, learner=..., lesson=...)),
    # quizzes
    (Quiz, "quiz_position_unique", _duplicate(QuizFactory, module=..., course=..., position=...)),
    (Quiz, "quiz_slug_unique", _duplicate(QuizFactory, course=..., slug=...)),
    (Quiz, "quiz_position_positive", _update(QuizFactory, position=0)),
    (Quiz, "quiz_pass_percent_range", _update(QuizFactory, pass_percent=101)),
    (Quiz, "quiz_max_attempts_positive", _update(QuizFactory, max_attempts=0)),
    (Quiz, "quiz_time_limit_positive", _update(QuizFactory, time_limit_minutes=0)),
    (Quiz, "quiz_scoring_valid", _update(QuizFactory, scoring="best_of")),
    (Question, "question_position_unique", _duplicate(QuestionFactory, quiz=..., position=...)),
    (Question, "question_position_positive", _update(QuestionFactory, position=0)),
    (Question, "question_kind_valid", _update(QuestionFactory, kind="essay")),
    (Question, "question_points_positive", _update(QuestionFactory, points=0)),
    (Question, "question_tolerance_nonnegative", _update(QuestionFactory, tolerance=Decimal("-0.5"))),
    (Quiz, "quiz_draw_positive", _update(QuizFactory, draw=0)),
    (Choice, "choice_role_valid", _update(ChoiceFactory, role="hint")),
    (Choice, "choice_position_unique", _duplicate(ChoiceFactory, question=..., position=...)),
    (Choice, "choice_position_positive", _update(ChoiceFactory, position=0)),
    (QuizAttempt, "attempt_number_unique", _duplicate(QuizAttemptFactory, quiz=..., learner=..., number=...)),
    (QuizAttempt, "attempt_number_positive", _update(QuizAttemptFactory, number=0)),
    (QuizAttempt, "attempt_score_range", _update(QuizAttemptFactory, score=Decimal("100.01"))),
    (QuizAttempt, "attempt_score_range", _update(QuizAttemptFactory, score=Decimal("-1"))),
    (QuizAttempt, "attempt_pass_when_submitted", _update(QuizAttemptFactory, status="in_progress", passed=True)),
    (
        AttemptAnswer,
        "attempt_answer_unique",
        lambda: AttemptAnswer.objects.create(
            attempt=(a := _attempt_answer()).attempt, question=a.question, choices=[], is_correct=False, credit=0
        ),
    ),
    (AttemptAnswer, "attempt_answer_credit_range", lambda: _attempt_answer(credit=Decimal("1.5"))),
    (Regrade, "regrade_status_valid", lambda: Regrade.objects.filter(pk=_regrade().pk).update(status="paused")),
    (Regrade, "regrade_one_open_per_quiz", lambda: _regrade(quiz=_regrade().quiz)),
    (RegradeChange, "regrade_change_unique", lambda: _regrade_change(twice=True)),
    (QuizOverride, "quiz_override_unique", lambda: _override(twice=True)),
    # notifications
    (OutboundEmail, "email_status_valid", lambda: _email(status="bounced")),
]


def _declared_constraints() -> set[tuple[str, str]]:
    return {
        (model.__name__, constraint.name)
        for model in apps.get_models()
        if model._meta.app_label in PROJECT_APPS
        for constraint in model._meta.constraints
    }


@pytest.mark.parametrize(
    ("model", "name", "violate"),
    CASES,
    ids=[f"{model.__name__}-{name}-{i}" for i, (model, name, _) in enumerate(CASES)],
)
def test_violating_a_constraint_raises_integrity_error(model, name, violate):
    with pytest.raises(IntegrityError) as info, transaction.atomic():
        violate()
    constraint = next(c for c in model._meta.constraints if c.name == name)
    if connection.vendor == "postgresql" or isinstance(constraint, models.CheckConstraint):
        assert name in str(info.value)  # this constraint fired, not another one
    # The savepoint was rolled back, so the connection is still usable.
    assert Course.objects.count() >= 0


def test_every_declared_constraint_has_a_case():
    covered = {(model.__name__, name) for model, name, _ in CASES}
    assert covered == _declared_constraints()


def test_unique_fields_are_enforced():
    """``unique=True`` columns, which are not in Meta.constraints."""
    course = CourseFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        CourseFactory(slug=course.slug)
    certificate = CertificateFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.filter(pk=CertificateFactory().pk).update(code=certificate.code)
    _email()
    with pytest.raises(IntegrityError), transaction.atomic():
        _email()
