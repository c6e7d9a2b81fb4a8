"""Reading and completing lessons, sanitized bodies and sequential gating, through the HTTP API."""

import re
from html.parser import HTMLParser

import pytest
from rest_framework.test import APIClient

from lessons.markdown import render_markdown
from lessons.models import LessonCompletion
from quizzes.models import Quiz
from tests.conftest import client_for, without_event_dispatch
from tests.factories import (
    AdminFactory,
    EnrollmentFactory,
    InstructorFactory,
    LessonFactory,
    UserFactory,
    build_course,
    right_answers,
)

pytestmark = pytest.mark.django_db

# --- Sanitizing ---------------------------------------------------------------------------------------
XSS_VECTORS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="javascript:alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    '<a href="jav&#x09;ascript:alert(1)">tab</a>',
    '<a href=" &#14;  javascript:alert(1)">ctrl</a>',
    "[ref][1]\n\n[1]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "![pic](javascript:alert(1))",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>',
    '<a href="vbscript:msgbox(1)">vb</a>',
    "<svg onload=alert(1)><circle r=1 /></svg>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)">',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<details open ontoggle=alert(1)>x</details>",
    '<div style="background:url(javascript:alert(1))" onclick="alert(1)">styled</div>',
    "<style>@import 'http://evil.example/x.css';</style>",
    '<form action="javascript:alert(1)"><input type=submit autofocus onfocus=alert(1)></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:/">',
    "<!--<script>alert(1)</script>-->",
    '<a href="#" onmouseover="alert(1)">hover</a>',
    "<body onload=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "`<script>alert(1)</script>` and\n\n    <script>alert(2)</script>",
]

FORBIDDEN_TAGS = {
    "script", "style", "iframe", "object", "embed", "svg", "math", "form", "input", "meta", "base", "body",
    "link", "details", "noscript", "textarea", "button",
}  # fmt: skip
SAFE_SCHEMES = {"http", "https", "mailto"}


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def assert_safe_html(html: str) -> None:
    parser = _Collector()
    parser.feed(html)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag not in FORBIDDEN_TAGS, html
        for name, value in attrs:
            assert not name.startswith("on"), html
            assert name not in ("style", "srcdoc", "formaction", "action"), html
            if name in ("href", "src") and value is not None:
                cleaned = re.sub(r"[\x00-\x20]", "", value).lower()
                scheme = cleaned.split(":", 1)[0] if re.match(r"^[a-z][a-z0-9+.-]*:", cleaned) else None
                assert scheme is None or scheme in SAFE_SCHEMES, html
    assert "javascript:" not in html.lower().replace("&#x09;", "")
    assert "<script" not in html.lower()


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_render_markdown_strips_xss(vector):
    assert_safe_html(render_markdown(vector))


def test_render_markdown_keeps_ordinary_markup():
    html = render_markdown(
        "# Title\n\nSome **bold**, a [link](https://example.com) and `code`.\n\n"
        "```python\nprint(1 < 2)\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html
    assert 'href="https://example.com"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert '<code class="language-python">' in html and "1 &lt; 2" in html
    assert "<table>" in html


@pytest.fixture
def enrolled():
    """A learner enrolled in a two-module course (non-sequential)."""
    course = build_course(modules=2, lessons_per_module=2)
    learner = UserFactory()
    enrollment = EnrollmentFactory(learner=learner, course=course)
    lessons = list(course.lessons.order_by("module__position", "position"))
    return {"course": course, "learner": learner, "client": client_for(learner), "lessons": lessons,
            "enrollment": enrollment}  # fmt: skip


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_lesson_body_html_is_sanitized_through_the_api(enrolled, vector):
    module = enrolled["lessons"][0].module
    lesson = LessonFactory(module=module, course=enrolled["course"], position=50, body_markdown=f"Intro\n\n{vector}")
    r = enrolled["client"].get(f"/api/lessons/{lesson.pk}/")
    assert r.status_code == 200
    assert_safe_html(r.json()["body_html"])


# --- Reading ------------------------------------------------------------------------------------------
def test_lesson_detail_shape(enrolled):
    lesson = enrolled["lessons"][0]
    r = enrolled["client"].get(f"/api/lessons/{lesson.pk}/")
    assert r.status_code == 200
    body = r.json()
    assert {"id", "slug", "title", "course", "body_html"} <= set(body)
    assert body["id"] == lesson.pk and body["slug"] == lesson.slug and body["course"] == enrolled["course"].slug
    assert body["body_html"] == "<p>Some <strong>lesson</strong> text.</p>"
    assert body["completed"] is False and body["completed_at"] is None


def test_previous_and_next_follow_course_order_across_modules(enrolled):
    lessons = enrolled["lessons"]
    ids = [lesson.pk for lesson in lessons]
    for index, lesson in enumerate(lessons):
        body = enrolled["client"].get(f"/api/lessons/{lesson.pk}/").json()
        previous = body["previous"]["id"] if body["previous"] else None
        following = body["next"]["id"] if body["next"] else None
        assert previous == (ids[index - 1] if index > 0 else None)
        assert following == (ids[index + 1] if index + 1 < len(ids) else None)


def test_not_enrolled_is_403():
    course = build_course()
    lesson = course.lessons.first()
    client = client_for(UserFactory())
    r = client.get(f"/api/lessons/{lesson.pk}/")
    assert r.status_code == 403 and "enrolled" in r.json()["detail"]
    assert client.post(f"/api/lessons/{lesson.pk}/complete/").status_code == 403
    assert not LessonCompletion.objects.exists()


def test_anonymous_is_401():
    lesson = build_course().lessons.first()
    assert APIClient().get(f"/api/lessons/{lesson.pk}/").status_code == 401
    assert APIClient().post(f"/api/lessons/{lesson.pk}/complete/").status_code == 401


def test_unpublished_course_is_404_even_when_enrolled():
    course = build_course(is_published=False)
    learner = UserFactory()
    EnrollmentFactory(learner=learner, course=course)
    lesson = course.lessons.first()
    client = client_for(learner)
    assert client.get(f"/api/lessons/{lesson.pk}/").status_code == 404
    assert client.post(f"/api/lessons/{lesson.pk}/complete/").status_code == 404
    assert client_for(UserFactory()).get(f"/api/lessons/{lesson.pk}/").status_code == 404


def test_unknown_lesson_is_404():
    assert client_for(UserFactory()).get("/api/lessons/987654/").status_code == 404
    assert client_for(UserFactory()).post("/api/lessons/987654/complete/").status_code == 404


def test_instructor_and_admin_preview_without_enrollment():
    teacher = InstructorFactory()
    course = build_course(is_published=False, sequential=True, instructors=[teacher])
    last = course.lessons.order_by("-module__position", "-position").first()
    for user in (teacher, AdminFactory()):
        r = client_for(user).get(f"/api/lessons/{last.pk}/")
        assert r.status_code == 200
        # Previewing is not learning: without an enrollment there is nothing to complete.
        assert client_for(user).post(f"/api/lessons/{last.pk}/complete/").status_code == 403
    # Another instructor does not teach it.
    assert client_for(InstructorFactory()).get(f"/api/lessons/{last.pk}/").status_code == 404


def test_dropped_learner_is_403(enrolled):
    enrolled["enrollment"].status = "dropped"
    enrolled["enrollment"].save()
    lesson = enrolled["lessons"][0]
    assert enrolled["client"].get(f"/api/lessons/{lesson.pk}/").status_code == 403
    assert enrolled["client"].post(f"/api/lessons/{lesson.pk}/complete/").status_code == 403
    assert not LessonCompletion.objects.exists()


def test_completed_course_still_gives_access(enrolled):
    enrolled["enrollment"].status = "completed"
    enrolled["enrollment"].save()
    assert enrolled["client"].get(f"/api/lessons/{enrolled['lessons'][0].pk}/").status_code == 200


# --- Completing ---------------------------------------------------------------------------------------
def test_complete_is_idempotent(enrolled, django_capture_on_commit_callbacks):
    lesson = enrolled["lessons"][0]
    client = enrolled["client"]
    with django_capture_on_commit_callbacks(execute=True) as first_callbacks:
        first = client.post(f"/api/lessons/{lesson.pk}/complete/")
    assert first.status_code in (200, 202)
    assert first.json()["created"] is True and first.json()["completed"] is True
    assert len(without_event_dispatch(first_callbacks)) == 1  # one progress recompute queued (and the event's dispatch)
    with django_capture_on_commit_callbacks(execute=True) as second_callbacks:
        second = client.post(f"/api/lessons/{lesson.pk}/complete/")
    assert second.status_code in (200, 202)
    assert second.json()["created"] is False
    assert second.json()["completed_at"] == first.json()["completed_at"]
    assert len(second_callbacks) == 0  # nothing changed, nothing queued
    assert LessonCompletion.objects.filter(learner=enrolled["learner"], lesson=lesson).count() == 1
    body = client.get(f"/api/lessons/{lesson.pk}/").json()
    assert body["completed"] is True and body["completed_at"] == first.json()["completed_at"]


def test_complete_ignores_a_body(enrolled):
    lesson = enrolled["lessons"][0]
    r = enrolled["client"].post(f"/api/lessons/{lesson.pk}/complete/", {"learner": 1, "lesson": 999}, format="json")
    assert r.status_code in (200, 202) and r.json()["lesson"] == lesson.pk


def test_completion_is_per_learner(enrolled):
    lesson = enrolled["lessons"][0]
    enrolled["client"].post(f"/api/lessons/{lesson.pk}/complete/")
    other = UserFactory()
    EnrollmentFactory(learner=other, course=enrolled["course"])
    assert client_for(other).get(f"/api/lessons/{lesson.pk}/").json()["completed"] is False


# --- Sequential gating --------------------------------------------------------------------------------
def test_sequential_course_locks_later_modules_until_earlier_ones_are_done():
    course = build_course(modules=2, lessons_per_module=2, sequential=True)
    learner = UserFactory()
    EnrollmentFactory(learner=learner, course=course)
    client = client_for(learner)
    first_module, second_module = course.modules.order_by("position")
    later = second_module.lessons.order_by("position").first()
    second_quiz = Quiz.objects.get(module=second_module)

    def locked(response):
        return response.status_code == 403 and "locked" in response.json()["detail"]

    assert locked(client.get(f"/api/lessons/{later.pk}/"))
    assert locked(client.post(f"/api/lessons/{later.pk}/complete/"))
    assert locked(client.get(f"/api/quizzes/{second_quiz.pk}/"))
    detail = client.get(f"/api/courses/{course.slug}/").json()
    assert [m["locked"] for m in detail["modules"]] == [False, True]

    for lesson in first_module.lessons.order_by("position"):
        assert client.get(f"/api/lessons/{lesson.pk}/").status_code == 200
        assert client.post(f"/api/lessons/{lesson.pk}/complete/").status_code in (200, 202)
    # Lessons done, quiz not yet passed: still locked.
    assert locked(client.get(f"/api/lessons/{later.pk}/"))
    quiz = Quiz.objects.get(module=first_module)
    wrong = [{"question": a["question"], "choices": []} for a in right_answers(quiz)]
    assert client.post(f"/api/quizzes/{quiz.pk}/attempts/", {"answers": wrong}, format="json").json()["passed"] is False
    assert locked(client.get(f"/api/lessons/{later.pk}/"))
    r = client.post(f"/api/quizzes/{quiz.pk}/attempts/", {"answers": right_answers(quiz)}, format="json")
    assert r.json()["passed"] is True

    assert client.get(f"/api/lessons/{later.pk}/").status_code == 200
    assert client.post(f"/api/lessons/{later.pk}/complete/").status_code in (200, 202)
    detail = client.get(f"/api/courses/{course.slug}/").json()
    assert [m["locked"] for m in detail["modules"]] == [False, False]


def test_non_sequential_course_opens_every_module(enrolled):
    last = enrolled["lessons"][-1]
    assert enrolled["client"].get(f"/api/lessons/{last.pk}/").status_code == 200


def test_xss_written_through_the_authoring_api_never_reaches_learners(enrolled):
    teacher = InstructorFactory()
    enrolled["course"].instructors.add(teacher)
    author = client_for(teacher)
    module = enrolled["lessons"][0].module
    body = "\n\n".join(XSS_VECTORS)
    created = author.post(
        f"/api/modules/{module.pk}/lessons/", {"slug": "evil", "title": "Evil", "body_markdown": body}, format="json"
    )
    assert created.status_code == 201, created.json()
    lesson_id = created.json()["id"]
    assert_safe_html(created.json()["body_html"])
    assert author.post(f"/api/courses/{enrolled['course'].slug}/publish/").status_code == 200
    read = enrolled["client"].get(f"/api/lessons/{lesson_id}/")
    assert read.status_code == 200
    assert_safe_html(read.json()["body_html"])
    # Editing the body renders and sanitizes it again.
    patched = author.patch(f"/api/lessons/{lesson_id}/", {"body_markdown": XSS_VECTORS[2] + "\n\nnew"}, format="json")
    assert patched.status_code == 200, patched.json()
    assert author.post(f"/api/courses/{enrolled['course'].slug}/publish/").status_code == 200
    html = enrolled["client"].get(f"/api/lessons/{lesson_id}/").json()["body_html"]
    assert "new" in html
    assert_safe_html(html)
    # body_html itself is not writable.
    author.patch(f"/api/lessons/{lesson_id}/", {"body_html": "<script>alert(1)</script>"}, format="json")
    assert author.post(f"/api/courses/{enrolled['course'].slug}/publish/").status_code == 200
    assert_safe_html(enrolled["client"].get(f"/api/lessons/{lesson_id}/").json()["body_html"])
