"""factory-boy factories for every model the tests build."""

import factory
from django.contrib.auth.models import Group

from accounts.models import User
from courseware.models import Certificate, Course, Enrollment, Module
from lessons.markdown import render_markdown
from lessons.models import Lesson, LessonCompletion
from quizzes.models import Choice, Question, Quiz, QuizAttempt

PASSWORD = "correct-horse-battery-staple"


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


class ModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Module

    course = factory.SubFactory(CourseFactory)
    slug = factory.Sequence(lambda n: f"module-{n}")
    title = factory.Sequence(lambda n: f"Module {n}")
    position = factory.Sequence(lambda n: n + 1)


class LessonFactory(factory.django.DjangoModelFactory):
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


class QuizFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quiz

    module = factory.SubFactory(ModuleFactory)
    course = factory.LazyAttribute(lambda o: o.module.course)
    slug = factory.Sequence(lambda n: f"quiz-{n}")
    title = factory.Sequence(lambda n: f"Quiz {n}")
    position = factory.Sequence(lambda n: n + 1)
    pass_percent = 70
    max_attempts = 3


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    quiz = factory.SubFactory(QuizFactory)
    text = factory.Sequence(lambda n: f"Question {n}?")
    kind = Question.Kind.SINGLE
    position = factory.Sequence(lambda n: n + 1)


class ChoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Choice

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
    return course


def right_answers(quiz: Quiz) -> list[dict]:
    return [
        {"question": q.pk, "choices": [c.pk for c in q.choices.all() if c.is_correct]}
        for q in quiz.questions.prefetch_related("choices")
    ]
