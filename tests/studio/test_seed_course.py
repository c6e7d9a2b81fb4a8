"""The seed course (content/selling-in-vs-selling-out) imports cleanly and has the promised shape."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from courseware.models import Course
from lessons.markdown import word_count
from lessons.models import Lesson
from quizzes.models import Question, Quiz
from tests.studio.coursecode.folders import SEED_COURSE

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed() -> Course:
    call_command("import_course", str(SEED_COURSE), stdout=StringIO())
    return Course.objects.get(slug="selling-in-vs-selling-out")


def test_seed_course_is_published(seed):
    assert seed.is_published
    assert seed.title and seed.summary and seed.description


def test_seed_course_has_lesson_modules_and_a_final_assessment(seed):
    modules = list(seed.modules.order_by("position"))
    *teaching, final = modules
    assert len(teaching) >= 4
    for module in teaching:
        assert module.lessons.exists(), module.slug
        assert module.quizzes.count() == 1, module.slug
    assert not final.lessons.exists()
    assert list(final.quizzes.values_list("slug", flat=True)) == ["final-assessment"]
    assert [m.position for m in modules] == list(range(1, len(modules) + 1))


def test_seed_lessons_are_substantial_with_a_recap(seed):
    lessons = Lesson.objects.filter(course=seed)
    assert lessons.count() >= 8
    for lesson in lessons:
        assert word_count(lesson.body_markdown) >= 250, lesson.slug
        assert re.search(r"^#+ Recap\s*$", lesson.body_markdown, re.MULTILINE), lesson.slug
        assert re.search(r"<h\d>Recap</h\d>", lesson.body_html), lesson.slug
        assert 1 <= lesson.estimated_minutes <= 600


def test_seed_quizzes_are_well_formed(seed):
    quizzes = Quiz.objects.filter(course=seed).prefetch_related("questions__choices")
    assert quizzes.count() == seed.modules.count()
    for quiz in quizzes:
        questions = list(quiz.questions.all())
        assert len(questions) >= 4, quiz.slug
        assert {q.kind for q in questions} == {Question.Kind.SINGLE, Question.Kind.MULTIPLE}, quiz.slug
        assert quiz.max_attempts >= 3, quiz.slug
        assert 0 < quiz.pass_percent <= 100, quiz.slug
        for question in questions:
            choices = list(question.choices.all())
            correct = sum(c.is_correct for c in choices)
            assert len(choices) >= 2, question.text
            if question.kind == Question.Kind.SINGLE:
                assert correct == 1, question.text
            else:
                assert correct >= 1, question.text
            assert all(c.explanation.strip() for c in choices), question.text


def test_seed_final_assessment_covers_the_course(seed):
    final = Quiz.objects.get(course=seed, slug="final-assessment")
    assert final.questions.count() >= max(q.questions.count() for q in Quiz.objects.filter(course=seed))
