"""The seed course (content/selling-in-vs-selling-out, second edition) imports cleanly and has the
promised shape: objectives on every lesson, a model answer for every exercise, a role-play card per
module, shuffled quizzes whose answers are not given away by position or length, and no long run of
words copied from the source article."""

import re
from io import StringIO
from pathlib import Path

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
    assert len(teaching) == 4
    assert Lesson.objects.filter(course=seed).count() == 11
    assert Quiz.objects.filter(course=seed).count() == 5
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
        assert lesson.body_markdown.lstrip().startswith("By the end of this lesson you will be able to"), lesson.slug
        for exercise in re.split(r"^## Exercise", lesson.body_markdown, flags=re.MULTILINE)[1:]:
            section = re.split(r"^## ", exercise, maxsplit=1, flags=re.MULTILINE)[0]
            assert re.search(r"\*\*(Model answers?|Answer key)", section), lesson.slug


def test_seed_modules_end_with_a_role_play_card_and_the_course_has_glossary_and_self_assessment(seed):
    *teaching, _final = seed.modules.order_by("position")
    for module in teaching:
        last = module.lessons.order_by("position").last()
        card = last.body_markdown.split("## Role-play card", 1)
        assert len(card) == 2, module.slug
        for part in ("Buyer brief", "Seller brief", "What good looks like"):
            assert part in card[1], (module.slug, part)
    bodies = [
        lesson.body_markdown for lesson in Lesson.objects.filter(course=seed).order_by("module__position", "position")
    ]
    assert "self-assessment" in bodies[0] and "self-assessment" in bodies[-1]
    assert "## Course glossary" in bodies[-1]
    assert "Andy Paul" in seed.description and "Andy Paul" in bodies[0] and "Dale Carnegie" in bodies[0]


def test_seed_quizzes_are_well_formed(seed):
    quizzes = Quiz.objects.filter(course=seed).prefetch_related("questions__choices")
    assert quizzes.count() == seed.modules.count()
    kinds = set()
    for quiz in quizzes:
        questions = list(quiz.questions.all())
        assert len(questions) >= (12 if quiz.slug == "final-assessment" else 5), quiz.slug
        assert {Question.Kind.SINGLE, Question.Kind.MULTIPLE} <= {q.kind for q in questions}, quiz.slug
        assert quiz.shuffle, quiz.slug
        kinds.update(q.kind for q in questions)
        assert quiz.max_attempts >= 3, quiz.slug
        assert 0 < quiz.pass_percent <= 100, quiz.slug
        for question in questions:
            if question.kind not in CHOICE_KINDS:
                continue
            choices = list(question.choices.all())
            correct = sum(c.is_correct for c in choices)
            assert len(choices) >= 2, question.text
            if question.kind == Question.Kind.SINGLE:
                assert correct == 1, question.text
            else:
                assert correct >= 1, question.text
            assert all(c.explanation.strip() for c in choices), question.text
    assert len(kinds) >= 4, kinds  # ordering, matching, numeric and text beside single and multiple


def test_seed_final_assessment_covers_the_course(seed):
    final = Quiz.objects.get(course=seed, slug="final-assessment")
    assert final.questions.count() >= max(q.questions.count() for q in Quiz.objects.filter(course=seed))
    assert final.draw is not None and 12 <= final.draw < final.questions.count()  # drawn from a larger pool


CHOICE_KINDS = (Question.Kind.SINGLE, Question.Kind.MULTIPLE)


def _answer_first_and_longest(questions) -> tuple[int, int]:
    """How many questions, in authored order (before shuffling), put a right answer first, and how many
    make the longest choice a right one."""
    first = longest = 0
    for question in questions:
        if question.kind not in CHOICE_KINDS:
            continue
        choices = list(question.choices.all())
        first += choices[0].is_correct
        longest += max(choices, key=lambda c: len(c.text)).is_correct
    return first, longest


def test_seed_quiz_answers_are_not_given_away_by_position_or_length(seed):
    everything = []
    for quiz in Quiz.objects.filter(course=seed).prefetch_related("questions__choices"):
        questions = [q for q in quiz.questions.all() if q.kind in CHOICE_KINDS]
        everything += questions
        first, longest = _answer_first_and_longest(questions)
        assert first <= 0.4 * len(questions), (quiz.slug, "right answer first", first, len(questions))
        assert longest <= 0.4 * len(questions), (quiz.slug, "right answer longest", longest, len(questions))
    first, longest = _answer_first_and_longest(everything)
    assert first <= 0.4 * len(everything) and longest <= 0.4 * len(everything)


# --- No run of 8+ words copied from the source article, unless it is inside quotation marks -------------
# The source article sits in shared/ beside the repository (not in it: it is not ours to publish).
ARTICLE = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "influence-vs-persuasion.txt"
RUN = 8


def _words(text: str) -> list[tuple[str, bool]]:
    """Lowercased words, punctuation stripped, each flagged as inside a quotation or not."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").lower()
    words, quoted = [], False
    for token in re.findall(r"[a-z0-9]+(?:'[a-z0-9]+)*|[\u201c\u201d\"]", text):
        if token in '\u201c\u201d"':
            quoted = token == "\u201c" or (token == '"' and not quoted)
        else:
            words.append((token.replace("'", ""), quoted))
    return words


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


@pytest.mark.skipif(not ARTICLE.exists(), reason="the source article is not on this machine")
def test_seed_course_copies_no_long_run_of_words_from_the_article():
    import yaml

    article = [w for w, _ in _words(ARTICLE.read_text())]
    runs = {tuple(article[i : i + RUN]) for i in range(len(article) - RUN + 1)}
    hits = []
    for path in sorted(SEED_COURSE.rglob("*")):
        if not path.is_file():
            continue
        texts = _strings(yaml.safe_load(path.read_text())) if path.suffix == ".yaml" else [path.read_text()]
        for text in texts:
            words = _words(text)
            for i in range(len(words) - RUN + 1):
                window = words[i : i + RUN]
                if tuple(w for w, _ in window) in runs and not all(q for _, q in window):
                    hits.append(f"{path.relative_to(SEED_COURSE)}: {' '.join(w for w, _ in window)}")
    assert not hits, hits
