"""One world for the security tests: course A (published, taught by IA, with a co-instructor IC),
learner L enrolled with a completion, an attempt and a certificate, learner L2 enrolled, an outsider
enrolled nowhere, instructor IB teaching course B, and an admin. Each actor gets a token client."""

from dataclasses import dataclass, field

from django.core.cache import cache
from rest_framework.test import APIClient

from courseware.models import Certificate, Enrollment
from events.models import Event, WebhookDelivery, WebhookSubscription
from events.signing import secret_generate
from tests.conftest import client_for
from tests.factories import (
    AdminFactory,
    CertificateFactory,
    EnrollmentFactory,
    InstructorFactory,
    LessonCompletionFactory,
    QuizAttemptFactory,
    UserFactory,
    add_every_kind,
    build_course,
    right_answers,
)

ACTORS = ("anonymous", "outsider", "learner", "other_learner", "other_instructor", "instructor", "admin")


@dataclass
class World:
    course: object
    course_b: object
    module: object
    lesson: object
    quiz: object
    users: dict
    enrollment: Enrollment
    other_enrollment: Enrollment
    certificate: Certificate
    attempt: object
    co_instructor: object
    subscription: WebhookSubscription
    delivery: WebhookDelivery
    clients: dict = field(default_factory=dict)

    def client(self, actor: str) -> APIClient:
        if actor not in self.clients:
            self.clients[actor] = APIClient() if actor == "anonymous" else client_for(self.users[actor])
        return self.clients[actor]

    def answers(self) -> list[dict]:
        return right_answers(self.quiz)


def build_world() -> World:
    cache.clear()
    ia, ib, ic = InstructorFactory(), InstructorFactory(), InstructorFactory()
    learner, other, outsider = UserFactory(), UserFactory(), UserFactory()
    admin = AdminFactory()
    course = build_course(modules=2, lessons_per_module=2)
    course.instructors.add(ia, ic)
    course_b = build_course(modules=1, lessons_per_module=1)
    course_b.instructors.add(ib)
    module = course.modules.order_by("position").first()
    lesson = module.lessons.order_by("position").first()
    quiz = add_every_kind(module.quizzes.first())  # the crawl sees every kind of question
    enrollment = EnrollmentFactory(learner=learner, course=course)
    other_enrollment = EnrollmentFactory(learner=other, course=course)
    LessonCompletionFactory(learner=learner, lesson=lesson)
    attempt = QuizAttemptFactory(quiz=quiz, learner=learner, score=50, passed=False)
    certificate = CertificateFactory(learner=learner, course=course)
    # IA's webhook subscription with one delivery (to a public address literal: nothing resolves).
    subscription = WebhookSubscription.objects.create(
        owner=ia, url="https://93.184.215.14/hook", event_types=["lesson.completed"], secret=secret_generate()
    )
    event = Event.objects.create(
        type="lesson.completed",
        course=course,
        course_slug=course.slug,
        learner=learner,
        occurred_at=certificate.issued_at,
        position=1,
    )
    delivery = WebhookDelivery.objects.create(subscription=subscription, event=event, position=1, status="delivered")
    users = {
        "outsider": outsider,
        "learner": learner,
        "other_learner": other,
        "other_instructor": ib,
        "instructor": ia,
        "admin": admin,
    }
    return World(
        course=course,
        course_b=course_b,
        module=module,
        lesson=lesson,
        quiz=quiz,
        users=users,
        enrollment=enrollment,
        other_enrollment=other_enrollment,
        certificate=certificate,
        attempt=attempt,
        co_instructor=ic,
        subscription=subscription,
        delivery=delivery,
    )
