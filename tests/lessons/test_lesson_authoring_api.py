"""Lesson authoring through the API: create, edit (Markdown rendered and sanitized at once), delete,
reorder and move between modules; learners' progress recomputed after structural changes."""

import pytest

from courseware.models import Certificate, Course, Enrollment
from lessons.models import Lesson
from tests.conftest import client_for
from tests.factories import (
    CertificateFactory,
    EnrollmentFactory,
    LessonCompletionFactory,
    ModuleFactory,
    QuizAttemptFactory,
    build_course,
)

pytestmark = pytest.mark.django_db


def slugs(module) -> list[tuple[str, int]]:
    return list(Lesson.objects.filter(module=module).order_by("position").values_list("slug", "position"))


@pytest.fixture
def client(instructor):
    return client_for(instructor)


@pytest.fixture
def module(course):
    return course.modules.order_by("position").first()


def test_create_renders_sanitized_html_and_estimates_minutes(client, module):
    body = "# Title\n\n" + "word " * 450 + "\n\n<script>alert(1)</script>[x](javascript:alert(1))"
    r = client.post(f"/api/modules/{module.pk}/lessons/", {"slug": "new-lesson", "title": "New", "body_markdown": body})
    assert r.status_code == 201, r.json()
    data = r.json()
    assert set(data) >= {"id", "slug", "title", "body_markdown", "body_html", "position", "estimated_minutes"}
    assert data["body_markdown"] == body
    assert "<h1>Title</h1>" in data["body_html"]
    assert "<script" not in data["body_html"] and "javascript:" not in data["body_html"]
    assert data["estimated_minutes"] == 2
    assert data["position"] == 3  # after the module's two lessons
    assert data["course"] == module.course.slug and data["module"] == module.pk


def test_patch_rerenders_the_body_and_ignores_what_it_does_not_own(client, module):
    lesson = Lesson.objects.filter(module=module).order_by("position").first()
    other = build_course(modules=1)
    r = client.patch(
        f"/api/lessons/{lesson.pk}/",
        {
            "body_markdown": "Fresh **body**",
            "title": "Retitled",
            "body_html": "<p>forged</p>",
            "course": other.slug,
            "module": other.modules.first().pk,
            "position": 99,
            "id": 12345,
        },
        format="json",
    )
    assert r.status_code == 200, r.json()
    lesson.refresh_from_db()
    assert lesson.title == "Retitled" and lesson.body_html == "<p>Fresh <strong>body</strong></p>"
    assert (lesson.module_id, lesson.course_id, lesson.position) == (module.pk, module.course_id, 1)
    assert r.json()["body_html"] == lesson.body_html

    r = client.patch(f"/api/lessons/{lesson.pk}/", {"estimated_minutes": 42})
    assert r.json()["estimated_minutes"] == 42
    r = client.patch(f"/api/lessons/{lesson.pk}/", {"estimated_minutes": None}, format="json")
    assert r.json()["estimated_minutes"] == 1  # estimated again from the body


def test_text_edits_do_not_stale_progress(client, module):
    lesson = Lesson.objects.filter(module=module).first()
    version = module.course.content_version
    assert client.patch(f"/api/lessons/{lesson.pk}/", {"title": "T"}).status_code == 200
    assert Course.objects.get(pk=module.course_id).content_version == version


def test_a_draft_may_hold_empty_lessons_a_published_course_may_not(client, course, module):
    lesson = Lesson.objects.filter(module=module).order_by("position").first()
    url = f"/api/modules/{module.pk}/lessons/"
    assert course.is_published
    r = client.post(url, {"slug": "empty", "title": "Empty", "body_markdown": "  \n"})
    assert r.status_code == 400 and "body_markdown" in r.json(), r.json()
    r = client.patch(f"/api/lessons/{lesson.pk}/", {"body_markdown": ""})
    assert r.status_code == 400 and "body_markdown" in r.json(), r.json()
    assert Lesson.objects.get(pk=lesson.pk).body_markdown.strip()

    assert client.post(f"/api/courses/{course.slug}/unpublish/").status_code == 200
    r = client.post(url, {"slug": "outline-first", "title": "Outline first", "body_markdown": ""})
    assert r.status_code == 201, r.json()
    draft = r.json()["id"]
    r = client.post(f"/api/courses/{course.slug}/publish/")
    assert r.status_code == 400 and "Outline first" in r.json()["detail"], r.json()
    assert not Course.objects.get(pk=course.pk).is_published
    assert client.patch(f"/api/lessons/{draft}/", {"body_markdown": "Written now."}).status_code == 200
    assert client.post(f"/api/courses/{course.slug}/publish/").status_code == 200


def test_slug_rules(client, module, course):
    taken = Lesson.objects.filter(course=course).exclude(module=module).first().slug
    r = client.post(f"/api/modules/{module.pk}/lessons/", {"slug": taken, "title": "X", "body_markdown": "x"})
    assert r.status_code == 400 and "slug" in r.json()  # unique in the course, across modules
    r = client.post(f"/api/modules/{module.pk}/lessons/", {"slug": "Bad_Slug", "title": "X", "body_markdown": "x"})
    assert r.status_code == 400 and "slug" in r.json()
    lesson = Lesson.objects.filter(module=module).first()
    assert client.patch(f"/api/lessons/{lesson.pk}/", {"slug": taken}).status_code == 400
    assert client.patch(f"/api/lessons/{lesson.pk}/", {"estimated_minutes": 0}).status_code == 400
    r = client.post(f"/api/modules/{module.pk}/lessons/", {"title": "No slug", "body_markdown": "x"})
    assert r.status_code == 400 and "slug" in r.json()


def test_insert_move_and_delete_keep_positions_unique_and_gapless(client, course):
    module = ModuleFactory(course=course, position=10, slug="playground")
    for slug in ("a", "b", "c"):
        assert client.post(f"/api/modules/{module.pk}/lessons/", {"slug": slug, "title": slug, "body_markdown": slug})
    assert slugs(module) == [("a", 1), ("b", 2), ("c", 3)]

    r = client.post(
        f"/api/modules/{module.pk}/lessons/", {"slug": "first", "title": "F", "body_markdown": "f", "position": 1}
    )
    assert r.status_code == 201
    assert slugs(module) == [("first", 1), ("a", 2), ("b", 3), ("c", 4)]

    c = Lesson.objects.get(slug="c", course=course)
    assert client.post(f"/api/lessons/{c.pk}/move/", {"position": 1}).json()["position"] == 1
    assert slugs(module) == [("c", 1), ("first", 2), ("a", 3), ("b", 4)]
    assert client.post(f"/api/lessons/{c.pk}/move/", {"position": 3}).status_code == 200
    assert slugs(module) == [("first", 1), ("a", 2), ("c", 3), ("b", 4)]

    a = Lesson.objects.get(slug="a", course=course)
    assert client.delete(f"/api/lessons/{a.pk}/").status_code == 204
    assert slugs(module) == [("first", 1), ("c", 2), ("b", 3)]


def test_move_to_another_module_of_the_same_course_only(client, course, module):
    target = course.modules.order_by("position").last()
    before_target = slugs(target)
    lesson = Lesson.objects.filter(module=module).order_by("position").first()
    r = client.post(f"/api/lessons/{lesson.pk}/move/", {"module": target.pk, "position": 1})
    assert r.status_code == 200, r.json()
    assert r.json()["module"] == target.pk
    assert slugs(target) == [(lesson.slug, 1), *[(slug, pos + 1) for slug, pos in before_target]]
    assert [pos for _, pos in slugs(module)] == [1]

    elsewhere = build_course(modules=1).modules.first()
    r = client.post(f"/api/lessons/{lesson.pk}/move/", {"module": elsewhere.pk, "position": 1})
    assert r.status_code == 400 and "module" in r.json()
    assert client.post(f"/api/lessons/{lesson.pk}/move/", {"position": 0}).status_code == 400


def test_adding_a_lesson_recomputes_progress_and_keeps_certificates(
    client, course, module, learner, django_capture_on_commit_callbacks
):
    enrollment = EnrollmentFactory(learner=learner, course=course, status=Enrollment.Status.COMPLETED, progress=100)
    for lesson in Lesson.objects.filter(course=course):
        LessonCompletionFactory(learner=learner, lesson=lesson)
    for quiz in course.quizzes.all():
        QuizAttemptFactory(learner=learner, quiz=quiz)
    certificate = CertificateFactory(learner=learner, course=course)

    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/api/modules/{module.pk}/lessons/", {"slug": "late", "title": "Late", "body_markdown": "x"})
    assert r.status_code == 201
    enrollment.refresh_from_db()
    assert enrollment.progress == 100  # a draft: learners' progress follows the published version
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/api/courses/{course.slug}/publish/").status_code == 200
    enrollment.refresh_from_db()
    assert enrollment.progress == (100 * 6) // 7  # 4 lessons + 2 quizzes done of 5 lessons + 2 quizzes
    assert enrollment.progress_version == Course.objects.get(pk=course.pk).content_version
    certificate.refresh_from_db()
    assert not certificate.revoked and Certificate.objects.filter(course=course).count() == 1

    # Deleting it again: complete once more, same certificate.
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/api/lessons/{r.json()['id']}/").status_code == 204
        assert client.post(f"/api/courses/{course.slug}/publish/").status_code == 200
    enrollment.refresh_from_db()
    assert enrollment.progress == 100
    assert list(Certificate.objects.filter(course=course).values_list("code", flat=True)) == [certificate.code]


def test_learners_and_other_instructors_cannot_write_lessons(course, module, learner):
    from tests.factories import InstructorFactory

    lesson = Lesson.objects.filter(module=module).first()
    EnrollmentFactory(learner=learner, course=course)
    for user in (learner, InstructorFactory()):
        c = client_for(user)
        assert c.patch(f"/api/lessons/{lesson.pk}/", {"title": "X"}).status_code == 403
        assert c.delete(f"/api/lessons/{lesson.pk}/").status_code == 403
    # The learner still reads it as before.
    assert client_for(learner).get(f"/api/lessons/{lesson.pk}/").status_code == 200
    assert client_for(learner).patch("/api/lessons/999999/", {"title": "X"}).status_code == 403
    assert client_for(InstructorFactory()).patch("/api/lessons/999999/", {"title": "X"}).status_code == 404


def test_a_slug_taken_by_a_concurrent_request_answers_409(client, course, module, monkeypatch):
    from lessons import services

    taken = Lesson.objects.filter(course=course).exclude(module=module).first().slug
    monkeypatch.setattr(services, "_lesson_check", lambda lesson: None)  # as if the other request won the race
    r = client.post(f"/api/modules/{module.pk}/lessons/", {"slug": taken, "title": "X", "body_markdown": "x"})
    assert r.status_code == 409 and r.json()["code"] == "concurrent_change"
    assert Lesson.objects.filter(course=course, slug=taken).count() == 1
