"""A publish that adds and removes items, across 1,000 enrolled learners at mixed progress: the dry
run predicts exactly what the publish does, every learner's stored progress is exact against the new
version, completed learners stay completed, and no certificate is lost or doubled (the progress
pipeline recomputes after commit; here in-process, as the embedded default runs it)."""

import pytest
from django.db.models import Count
from django.utils import timezone

from accounts.models import User
from courseware.models import Certificate, Course, Enrollment
from learning.progress.services import enrollment_progress_recompute
from lessons.models import Lesson, LessonCompletion
from notifications.models import OutboundEmail
from quizzes.models import Quiz, QuizAttempt
from tests.conftest import client_for
from tests.factories import build_course

pytestmark = pytest.mark.django_db
LEARNERS = 1000


def _items(course: Course) -> tuple[list[Lesson], list[Quiz]]:
    lessons = list(Lesson.objects.filter(course=course).order_by("module__position", "position"))
    return lessons, list(Quiz.objects.filter(course=course).order_by("module__position"))


def _expected(enrollments, *, lessons: set[int], quizzes: set[int]) -> dict[int, int]:
    done: dict[int, int] = {e.learner_id: 0 for e in enrollments}
    for learner_id in LessonCompletion.objects.filter(lesson_id__in=lessons).values_list("learner_id", flat=True):
        done[learner_id] += 1
    passes = QuizAttempt.objects.filter(quiz_id__in=quizzes, passed=True).values("learner_id", "quiz_id").distinct()
    for row in passes:
        done[row["learner_id"]] += 1
    total = len(lessons) + len(quizzes)
    return {learner_id: 100 * n // total for learner_id, n in done.items()}


def test_a_thousand_learners_across_a_publish_that_adds_and_removes_items(
    instructor, django_capture_on_commit_callbacks
):
    course = build_course(modules=2, lessons_per_module=3, quiz_per_module=True)
    course.instructors.add(instructor)
    lessons, quizzes = _items(course)
    # The order learners go through the items; learner k has done the first k % 9 of the 8.
    order = [*lessons[:5], *quizzes, lessons[5]]
    now = timezone.now()
    users = User.objects.bulk_create(
        User(username=f"mass-{i}", email=f"mass-{i}@example.com", password="!") for i in range(LEARNERS)
    )
    enrollments = Enrollment.objects.bulk_create(Enrollment(learner=u, course=course) for u in users)
    completions, attempts = [], []
    for k, user in enumerate(users):
        for item in order[: k % 9]:
            if isinstance(item, Lesson):
                completions.append(LessonCompletion(learner=user, course=course, lesson=item, completed_at=now))
            else:
                attempts.append(
                    QuizAttempt(
                        quiz=item, learner=user, course=course, number=1, submitted_at=now, score=100, passed=True
                    )
                )
    # The draft: lesson 6 goes, a new lesson comes. Learners who had done all but lesson 6 once
    # completed the new lesson too (it was in an earlier version of the course): they now complete.
    author = client_for(instructor)
    module = lessons[0].module
    added = author.post(
        f"/api/modules/{module.pk}/lessons/", {"slug": "comeback", "title": "Comeback", "body_markdown": "Back."},
        format="json",
    ).json()  # fmt: skip
    assert author.delete(f"/api/lessons/{lessons[5].pk}/").status_code == 204
    for k, user in enumerate(users):
        if k % 9 == 7:
            completions.append(LessonCompletion(learner=user, course=course, lesson_id=added["id"], completed_at=now))
    LessonCompletion.objects.bulk_create(completions)
    QuizAttempt.objects.bulk_create(attempts)
    for enrollment in enrollments:
        enrollment_progress_recompute(enrollment_id=enrollment.pk)  # the stored state as the pipeline left it
    completed_before = set(
        Enrollment.objects.filter(course=course, status=Enrollment.Status.COMPLETED).values_list(
            "learner_id", flat=True
        )
    )
    assert len(completed_before) == sum(1 for k in range(LEARNERS) if k % 9 == 8)
    assert Certificate.objects.filter(course=course).count() == len(completed_before)
    stored = dict(Enrollment.objects.filter(course=course).values_list("learner_id", "progress"))

    preview = author.post(f"/api/courses/{course.slug}/publish/", {"dry_run": True}, format="json").json()
    assert (preview["items_added"], preview["items_removed"]) == (1, 1)
    assert preview["completed_learners"] == len(completed_before)
    with django_capture_on_commit_callbacks(execute=True):
        applied = author.post(f"/api/courses/{course.slug}/publish/", format="json")
    assert applied.status_code == 200, applied.content
    assert applied.json()["version"] == preview["version"] == 2
    assert applied.json()["progress_changes"] == preview["progress_changes"]

    new_lessons = {lesson.pk for lesson in lessons[:5]} | {added["id"]}
    expected = _expected(enrollments, lessons=new_lessons, quizzes={q.pk for q in quizzes})
    after = dict(Enrollment.objects.filter(course=course).values_list("learner_id", "progress"))
    assert after == expected  # exact for every learner, and never above 100
    moves: dict[tuple[int, int], int] = {}
    for learner_id, was in stored.items():
        if was != after[learner_id]:
            moves[(was, after[learner_id])] = moves.get((was, after[learner_id]), 0) + 1
    assert {(m["from"], m["to"]): m["learners"] for m in preview["progress_changes"]} == moves

    completed_after = set(
        Enrollment.objects.filter(course=course, status=Enrollment.Status.COMPLETED).values_list(
            "learner_id", flat=True
        )
    )
    newly = {users[k].pk for k in range(LEARNERS) if k % 9 == 7}
    assert completed_after == completed_before | newly  # nobody un-completed; the comeback completers now done
    per_learner = Certificate.objects.filter(course=course).values("learner_id").annotate(n=Count("id"))
    assert {row["learner_id"] for row in per_learner} == completed_after
    assert all(row["n"] == 1 for row in per_learner)
    emails = OutboundEmail.objects.filter(kind="certificate").values("key").annotate(n=Count("id"))
    assert len(emails) == len(completed_after) and all(row["n"] == 1 for row in emails)
