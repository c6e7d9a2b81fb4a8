"""factory-boy factories for every model the tests build."""

from contextlib import contextmanager
from decimal import Decimal

import factory
from django.contrib.auth.models import Group
from django.db import models

from accounts.models import User
from courseware.models import Certificate, Course, Enrollment, Module
from courseware.structure.counts import course_counts_recount
from lessons.markdown import render_markdown
from lessons.models import Lesson, LessonCompletion
from quizzes.models import Choice, Question, Quiz, QuizAttempt

PASSWORD = "correct-horse-battery-staple"


_deferred: list[set[int]] = []  # while building a course (``publishing_deferred``): the courses to publish


@contextmanager
def publishing_deferred():
    """Make many content rows, then publish each course touched once (not once per row)."""
    _deferred.append(set())
    try:
        yield
    finally:
        for course_id in sorted(_deferred.pop()):
            publish_draft(Course(pk=course_id))


def publish_draft(course: Course) -> None:
    """What the tests mean by content made with these factories: an instructor wrote it and
    published it. Every content factory republishes its (published) course's draft as a version,
    without the publish checks (a course may have no lessons yet) and without a publication event."""
    from courseware.models import CourseVersion
    from courseware.structure.changes import course_content_changed
    from courseware.versions.services import _version_write, version_plan

    course = Course.objects.get(pk=course.pk)
    if not course.is_published:
        return
    plan = version_plan(course=course)
    if not plan.has_changes and course.published_version:
        return
    from django.utils import timezone

    version = _version_write(course=course, plan=plan, actor=None, now=timezone.now(), note="factory")
    Course.objects.filter(pk=course.pk).update(published_version=version.number)
    assert CourseVersion.objects.filter(course=course, number=version.number).exists()
    course_content_changed(course_id=course.pk)


class PublishedContent(factory.django.DjangoModelFactory):
    """A content factory whose rows are published as soon as they are made (``publish_draft``)."""

    class Meta:
        abstract = True

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        super()._after_postgeneration(instance, create, results)
        if create:
            course = cls._course_of(instance)
            if _deferred:
                _deferred[-1].add(course.pk)
            else:
                publish_draft(course)

    @staticmethod
    def _course_of(instance) -> Course:
        return instance.course


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"learner{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class InstructorFactory(UserFactory):
    username = factory.Sequence(lambda n: f"instructor{n}")

    @factory.post_generation
    def instructor_group(obj, create, extracted, **kwargs):
        if create:
            group, _ = Group.objects.get_or_create(name="instructors")
            obj.groups.add(group)


class AdminFactory(UserFactory):
    username = factory.Sequence(lambda n: f"admin{n}")
    is_staff = True
    is_superuser = True


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"course-{n}")
    title = factory.Sequence(lambda n: f"Course {n}")
    summary = "A course for testing."
    is_published = True

    @factory.post_generation
    def instructors(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.instructors.add(*extracted)


class ModuleFactory(PublishedContent):
    class Meta:
        model = Module

    course = factory.SubFactory(CourseFactory)
    slug = factory.Sequence(lambda n: f"module-{n}")
    title = factory.Sequence(lambda n: f"Module {n}")
    position = factory.Sequence(lambda n: n + 1)


class LessonFactory(PublishedContent):
    class Meta:
        model = Lesson

    module = factory.SubFactory(ModuleFactory)
    course = factory.LazyAttribute(lambda o: o.module.course)
    slug = factory.Sequence(lambda n: f"lesson-{n}")
    title = factory.Sequence(lambda n: f"Lesson {n}")
    body_markdown = "Some **lesson** text."
    body_html = factory.LazyAttribute(lambda o: render_markdown(o.body_markdown))
    estimated_minutes = 5
    position = factory.Sequence(lambda n: n + 1)


class QuizFactory(PublishedContent):
    class Meta:
        model = Quiz

    module = factory.SubFactory(ModuleFactory)
    course = factory.LazyAttribute(lambda o: o.module.course)
    slug = factory.Sequence(lambda n: f"quiz-{n}")
    title = factory.Sequence(lambda n: f"Quiz {n}")
    position = factory.Sequence(lambda n: n + 1)
    pass_percent = 70
    max_attempts = 3


class QuestionFactory(PublishedContent):
    class Meta:
        model = Question

    @staticmethod
    def _course_of(instance) -> Course:
        return instance.quiz.course

    quiz = factory.SubFactory(QuizFactory)
    text = factory.Sequence(lambda n: f"Question {n}?")
    kind = Question.Kind.SINGLE
    position = factory.Sequence(lambda n: n + 1)


class ChoiceFactory(PublishedContent):
    class Meta:
        model = Choice

    @staticmethod
    def _course_of(instance) -> Course:
        return instance.question.quiz.course

    question = factory.SubFactory(QuestionFactory)
    text = factory.Sequence(lambda n: f"Choice {n}")
    is_correct = False
    explanation = "Because."
    position = factory.Sequence(lambda n: n + 1)


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    learner = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)


class LessonCompletionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LessonCompletion

    learner = factory.SubFactory(UserFactory)
    lesson = factory.SubFactory(LessonFactory)
    course = factory.LazyAttribute(lambda o: o.lesson.course)


class QuizAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuizAttempt

    quiz = factory.SubFactory(QuizFactory)
    learner = factory.SubFactory(UserFactory)
    course = factory.LazyAttribute(lambda o: o.quiz.course)
    number = 1
    score = 100
    passed = True


class CertificateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certificate

    learner = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)
    learner_name = factory.LazyAttribute(lambda o: o.learner.display_name)
    course_title = factory.LazyAttribute(lambda o: o.course.title)


def build_course(
    *, modules: int = 2, lessons_per_module: int = 2, quiz_per_module: bool = True, **course_kwargs
) -> Course:
    """A published course with ``modules`` modules, each with lessons and (optionally) one quiz of
    two questions: a single-choice one (first choice right) and a multiple-choice one (first two right)."""
    course = CourseFactory(**course_kwargs)
    with publishing_deferred():
        _course_content(course, modules=modules, lessons_per_module=lessons_per_module, quiz_per_module=quiz_per_module)
    course_counts_recount(course_id=course.pk)  # a draft never published shows its rows' counts too
    course.refresh_from_db()  # as published (its published and content versions)
    return course


def _course_content(course: Course, *, modules: int, lessons_per_module: int, quiz_per_module: bool) -> None:
    for m in range(1, modules + 1):
        module = ModuleFactory(course=course, position=m, slug=f"{course.slug}-m{m}")
        for p in range(1, lessons_per_module + 1):
            LessonFactory(module=module, course=course, position=p, slug=f"{course.slug}-m{m}-l{p}")
        if quiz_per_module:
            quiz = QuizFactory(module=module, course=course, position=1, slug=f"{course.slug}-m{m}-quiz")
            single = QuestionFactory(quiz=quiz, position=1, kind=Question.Kind.SINGLE)
            for c in range(1, 4):
                ChoiceFactory(question=single, position=c, is_correct=(c == 1))
            multiple = QuestionFactory(quiz=quiz, position=2, kind=Question.Kind.MULTIPLE)
            for c in range(1, 4):
                ChoiceFactory(question=multiple, position=c, is_correct=(c <= 2))


def add_every_kind(quiz: Quiz) -> Quiz:
    """Append a numeric (3.5 ± 0.1), a text ("Paris"), an ordering (A, B, C) and a matching (a→1,
    b→2, distractor 3) question to ``quiz``: rows created out of order, as the authoring service does."""
    with publishing_deferred():
        start = (quiz.questions.aggregate(n=models.Max("position"))["n"] or 0) + 1
        QuestionFactory(quiz=quiz, position=start, kind="numeric", answer=Decimal("3.5"), tolerance=Decimal("0.1"))
        QuestionFactory(quiz=quiz, position=start + 1, kind="text", accepted=["Paris"])
        ordering = QuestionFactory(quiz=quiz, position=start + 2, kind="ordering", points=2)
        for position, text in ((3, "C"), (1, "A"), (2, "B")):
            ChoiceFactory(question=ordering, role="item", position=position, text=text)
        matching = QuestionFactory(quiz=quiz, position=start + 3, kind="matching", points=2)
        options = {p: ChoiceFactory(question=matching, role="option", position=p, text=f"{p}") for p in (3, 1, 2)}
        for position, text in ((2, "b"), (1, "a")):
            ChoiceFactory(question=matching, role="prompt", position=position, text=text, match=options[position])
    return quiz


def right_answers(quiz: Quiz) -> list[dict]:
    """The full key of ``quiz`` in attempt-answer shapes, for every kind."""
    answers = []
    for q in quiz.questions.prefetch_related("choices").order_by("position"):
        rows = sorted(q.choices.all(), key=lambda c: c.position)
        if q.kind == "numeric":
            answers.append({"question": q.pk, "value": str(q.answer)})
        elif q.kind == "text":
            answers.append({"question": q.pk, "value": q.accepted[0]})
        elif q.kind == "ordering":
            answers.append({"question": q.pk, "order": [c.pk for c in rows if c.role == "item"]})
        elif q.kind == "matching":
            pairs = [{"prompt": c.pk, "option": c.match_id} for c in rows if c.role == "prompt"]
            answers.append({"question": q.pk, "pairs": pairs})
        else:
            answers.append({"question": q.pk, "choices": [c.pk for c in rows if c.is_correct]})
    return answers
