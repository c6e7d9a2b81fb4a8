"""Regrade through the API: an instructor fixes a key in place, asks for a dry run (who changes score and
pass, nothing saved), applies it (a task, audited), and the learners' quiz pass, course progress and
completion follow: a learner who now completes gets the certificate once, a certificate already issued
stays. The run is resumable: a batch that fails rolls back whole and the rerun counts nothing twice."""

from decimal import Decimal

import pytest

from courseware.models import Certificate, Enrollment
from quizzes.models import AttemptAnswer, QuizAttempt, Regrade, RegradeChange
from quizzes.regrade import services as regrade_services
from quizzes.regrade.request import quiz_regrade_request
from tests.conftest import client_for
from tests.factories import (
    CourseFactory,
    EnrollmentFactory,
    LessonCompletionFactory,
    LessonFactory,
    ModuleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def questions(first_right: int = 0) -> list[dict]:
    return [
        {
            "text": "Q1",
            "kind": "single",
            "choices": [{"text": "A", "is_correct": first_right == 0}, {"text": "B", "is_correct": first_right == 1}],
        },
        {"text": "Q2", "kind": "single", "choices": [{"text": "C", "is_correct": True}, {"text": "D"}]},
    ]


class World:
    """One lesson (every learner completed it) and one quiz of two single-choice questions, pass 100%."""

    def __init__(self, instructor, capture):
        self.instructor = instructor
        self.author = client_for(instructor)
        self.course = CourseFactory()
        self.course.instructors.add(instructor)
        module = ModuleFactory(course=self.course, position=1)
        self.lesson = LessonFactory(module=module, course=self.course, position=1)
        body = {"title": "Check", "pass_percent": 100, "max_attempts": 3, "questions": questions()}
        r = self.author.post(f"/api/modules/{module.pk}/quizzes/", body, format="json")
        assert r.status_code == 201, r.json()
        self.quiz = r.json()
        self.capture = capture
        self.learners = {}
        self.publish()

    def publish(self) -> None:
        """Learners take, and regrades grade against, the published version."""
        with self.capture(execute=True):
            r = self.author.post(f"/api/courses/{self.course.slug}/publish/", {}, format="json")
        assert r.status_code == 200, r.json()

    def choice(self, question: int, text: str) -> int:
        q = self.quiz["questions"][question]
        return next(c["id"] for c in q["choices"] if c["text"] == text)

    def learner(self, name: str, first: str, second: str):
        user = UserFactory(username=name)
        EnrollmentFactory(learner=user, course=self.course)
        LessonCompletionFactory(learner=user, lesson=self.lesson)
        answers = [
            {"question": self.quiz["questions"][0]["id"], "choices": [self.choice(0, first)]},
            {"question": self.quiz["questions"][1]["id"], "choices": [self.choice(1, second)]},
        ]
        with self.capture(execute=True):
            r = client_for(user).post(f"/api/quizzes/{self.quiz['id']}/attempts/", {"answers": answers}, format="json")
        assert r.status_code == 201, r.json()
        self.learners[name] = user
        return user

    def fix_key(self) -> None:
        """B becomes the right answer of Q1, in place (ids kept)."""
        fixed = questions(first_right=1)
        fixed[0]["id"] = self.quiz["questions"][0]["id"]
        for choice, old in zip(fixed[0]["choices"], self.quiz["questions"][0]["choices"], strict=True):
            choice["id"] = old["id"]
        r = self.author.patch(f"/api/quizzes/{self.quiz['id']}/", {"questions": fixed}, format="json")
        assert r.status_code == 200, r.json()
        self.publish()

    def regrade(self, **body):
        return self.author.post(f"/api/quizzes/{self.quiz['id']}/regrade/", body, format="json")

    def enrollment(self, name: str) -> Enrollment:
        return Enrollment.objects.get(learner=self.learners[name], course=self.course)


@pytest.fixture
def world(instructor, django_capture_on_commit_callbacks):
    w = World(instructor, django_capture_on_commit_callbacks)
    w.learner("newly-passing", "B", "C")  # 50 → 100: passes, completes, gets the certificate
    w.learner("newly-failing", "A", "C")  # 100 → 50: had completed; keeps the certificate
    w.learner("still-failing", "B", "D")  # 0 → 50
    w.learner("dropping", "A", "D")  # 50 → 0: Q1 A is now wrong, Q2 D was wrong
    return w


def snapshot() -> list:
    return sorted(QuizAttempt.objects.values_list("pk", "score", "passed", "results"))


def test_dry_run_says_who_changes_and_changes_nothing(world):
    assert world.enrollment("newly-failing").status == "completed"
    world.fix_key()
    before = snapshot()
    r = world.regrade(dry_run=True)
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["attempts"] == 4
    changed = {
        c["learner"]: (c["old_score"], c["new_score"], c["old_passed"], c["new_passed"]) for c in body["changed"]
    }
    assert changed == {
        "newly-passing": (50.0, 100.0, False, True),
        "newly-failing": (100.0, 50.0, True, False),
        "still-failing": (0.0, 50.0, False, False),
        "dropping": (50.0, 0.0, False, False),
    }
    assert body["newly_passed"] == ["newly-passing"] and body["newly_failed"] == ["newly-failing"]
    assert snapshot() == before and not Regrade.objects.exists()


def test_applied_regrade_equals_the_dry_run_audits_and_propagates(world, django_capture_on_commit_callbacks):
    world.fix_key()
    dry = world.regrade(dry_run=True).json()
    certificates_before = set(Certificate.objects.values_list("learner__username", flat=True))
    assert certificates_before == {"newly-failing"}
    with django_capture_on_commit_callbacks(execute=True):
        r = world.regrade()
    assert r.status_code == 202, r.json()
    run = Regrade.objects.get(pk=r.json()["regrade"])
    assert run.status == "done" and run.requested_by == world.instructor
    assert (run.attempts, run.attempts_changed, run.newly_passed, run.newly_failed) == (4, 4, 1, 1)

    audit = world.author.get(f"/api/quizzes/{world.quiz['id']}/regrades/").json()["results"]
    assert len(audit) == 1 and audit[0]["requested_by"] == world.instructor.username
    applied = sorted(audit[0]["changes"], key=lambda c: c["attempt"])
    assert applied == sorted(dry["changed"], key=lambda c: c["attempt"])

    # The attempts, their per-question rows and results follow.
    attempt = QuizAttempt.objects.get(learner__username="newly-passing")
    assert (attempt.score, attempt.passed) == (Decimal(100), True)
    assert all(r["correct"] for r in attempt.results)
    assert AttemptAnswer.objects.filter(attempt=attempt, is_correct=True).count() == 2
    # Progress and completion follow; the certificate is issued once; an issued one is never revoked.
    assert world.enrollment("newly-passing").status == "completed"
    assert world.enrollment("newly-failing").status == "completed"
    assert world.enrollment("still-failing").status == "active"
    assert Certificate.objects.filter(learner__username="newly-passing").count() == 1
    assert not Certificate.objects.get(learner__username="newly-failing").revoked
    progress = client_for(world.learners["newly-passing"]).get(f"/api/courses/{world.course.slug}/progress/").json()
    assert progress["progress"] == 100 and progress["certificate"] is not None

    # A second regrade with nothing to change changes nothing and issues nothing.
    with django_capture_on_commit_callbacks(execute=True):
        world.regrade()
    assert RegradeChange.objects.count() == 4 and Certificate.objects.count() == 2
    assert Regrade.objects.filter(status="done").count() == 2


def test_a_failed_batch_rolls_back_and_the_rerun_counts_nothing_twice(world, monkeypatch):
    world.fix_key()
    expected = world.regrade(dry_run=True).json()["changed"]
    monkeypatch.setattr(regrade_services, "LEARNERS_PER_BATCH", 1)
    quiz = QuizAttempt.objects.first().quiz
    run, created = quiz_regrade_request(quiz=quiz, user=world.instructor)
    assert created
    assert regrade_services.regrade_batch(regrade_id=run.pk) is False  # one learner done and committed

    real = regrade_services.enrollment_activity_record_many

    def dies(**kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(regrade_services, "enrollment_activity_record_many", dies)
    with pytest.raises(RuntimeError):
        regrade_services.regrade_batch(regrade_id=run.pk)
    run.refresh_from_db()
    assert (run.status, run.attempts, run.attempts_changed) == ("running", 1, 1)  # the failed batch left no trace
    assert RegradeChange.objects.count() == 1

    monkeypatch.setattr(regrade_services, "enrollment_activity_record_many", real)
    regrade_services.regrade_run(regrade_id=run.pk)
    run.refresh_from_db()
    assert (run.status, run.attempts, run.attempts_changed, run.newly_passed, run.newly_failed) == ("done", 4, 4, 1, 1)
    assert RegradeChange.objects.count() == 4
    got = sorted((c.attempt_id, float(c.new_score)) for c in RegradeChange.objects.all())
    assert got == sorted((c["attempt"], c["new_score"]) for c in expected)
    regrade_services.regrade_run(regrade_id=run.pk)  # a redelivered message: nothing more
    assert RegradeChange.objects.count() == 4


def test_a_submission_during_a_regrade_loses_nothing(world, monkeypatch, django_capture_on_commit_callbacks):
    world.fix_key()
    monkeypatch.setattr(regrade_services, "LEARNERS_PER_BATCH", 2)
    quiz = QuizAttempt.objects.first().quiz
    run, _ = quiz_regrade_request(quiz=quiz, user=world.instructor)
    regrade_services.regrade_batch(regrade_id=run.pk)
    # Between two batches, a learner the regrade has not reached yet submits again, graded on the new key.
    late = sorted(world.learners.values(), key=lambda u: u.pk)[-1]
    answers = [
        {"question": world.quiz["questions"][0]["id"], "choices": [world.choice(0, "B")]},
        {"question": world.quiz["questions"][1]["id"], "choices": [world.choice(1, "C")]},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        r = client_for(late).post(f"/api/quizzes/{world.quiz['id']}/attempts/", {"answers": answers}, format="json")
    assert r.status_code == 201 and r.json()["score"] == 100
    regrade_services.regrade_run(regrade_id=run.pk)
    run.refresh_from_db()
    assert run.attempts == 5 and run.attempts_changed == 4  # the new attempt was already right
    assert QuizAttempt.objects.filter(learner=late).count() == 2
    assert QuizAttempt.objects.get(pk=r.json()["id"]).score == 100


def test_one_open_regrade_per_quiz(world):
    quiz = QuizAttempt.objects.first().quiz
    first, created = quiz_regrade_request(quiz=quiz, user=world.instructor)
    again, created_again = quiz_regrade_request(quiz=quiz, user=world.instructor)
    assert created and not created_again and again.pk == first.pk


def test_late_attempts_keep_their_zero(world):
    attempt = QuizAttempt.objects.get(learner__username="newly-passing")
    QuizAttempt.objects.filter(pk=attempt.pk).update(
        deadline=attempt.submitted_at.replace(year=2000), score=0, passed=False
    )
    world.fix_key()
    changed = {c["learner"] for c in world.regrade(dry_run=True).json()["changed"]}
    assert "newly-passing" not in changed


def test_learners_and_other_instructors_may_not_regrade(world, other_learner):
    url = f"/api/quizzes/{world.quiz['id']}/regrade/"
    assert client_for(world.learners["dropping"]).post(url, {"dry_run": True}, format="json").status_code == 403
    outsider = UserFactory()
    assert client_for(outsider).get(f"/api/quizzes/{world.quiz['id']}/regrades/").status_code in (403, 404)
    assert world.regrade(dry_run="maybe").status_code == 400


def test_the_reconcile_sweep_resumes_a_lost_regrade(world, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from learning.progress.tasks import reconcile_run

    world.fix_key()
    quiz = QuizAttempt.objects.first().quiz
    run = Regrade.objects.create(quiz=quiz, requested_by=world.instructor, key_version=quiz.key_version)  # message lost
    assert reconcile_run()["unfinished_regrades"] == 0  # too recent to be called lost
    Regrade.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(minutes=30))
    with django_capture_on_commit_callbacks(execute=True):
        assert reconcile_run()["unfinished_regrades"] == 1
    run.refresh_from_db()
    assert run.status == "done" and run.attempts_changed == 4
