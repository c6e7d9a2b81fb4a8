"""Authoring through the API alone: granting the instructor role, building and publishing a course,
co-instructors, modules and their order, and who may write what."""

import pytest

from courseware.models import Course, Module
from lessons.models import Lesson
from quizzes.models import Quiz
from tests.conftest import client_for
from tests.factories import InstructorFactory, ModuleFactory, UserFactory, build_course

pytestmark = pytest.mark.django_db


def positions(course: Course) -> list[tuple[str, int]]:
    return list(Module.objects.filter(course=course).order_by("position").values_list("slug", "position"))


# --- The whole journey ----------------------------------------------------------------------------------
def test_an_instructor_builds_and_publishes_a_course_through_the_api_alone(
    admin_user, django_capture_on_commit_callbacks
):
    admin = client_for(admin_user)
    UserFactory(username="grace")
    r = admin.post("/api/instructors/", {"username": "grace"})
    assert r.status_code == 201, r.json()
    assert "instructor" in r.json()["roles"]
    assert admin.post("/api/instructors/", {"username": "GRACE"}).status_code == 200  # idempotent

    from accounts.models import User

    grace = client_for(User.objects.get(username="grace"))
    r = grace.post("/api/courses/", {"slug": "api-course", "title": "API course", "summary": "Built by API."})
    assert r.status_code == 201, r.json()
    assert r.json()["is_published"] is False

    assert grace.post("/api/courses/api-course/publish/").status_code == 400  # no lessons yet

    r = grace.post("/api/courses/api-course/modules/", {"title": "Getting started", "position": 1})
    assert r.status_code == 201, r.json()
    module = r.json()
    assert module["slug"] == "getting-started" and module["position"] == 1 and module["course"] == "api-course"

    r = grace.post(
        f"/api/modules/{module['id']}/lessons/",
        {"slug": "hello", "title": "Hello", "body_markdown": "# Hi\n\nSome *text*.", "position": 1},
    )
    assert r.status_code == 201, r.json()
    lesson = r.json()
    assert lesson["body_markdown"] == "# Hi\n\nSome *text*."
    assert "<em>text</em>" in lesson["body_html"] and lesson["estimated_minutes"] == 1

    r = grace.post(
        f"/api/modules/{module['id']}/quizzes/",
        {
            "title": "Check",
            "pass_percent": 50,
            "max_attempts": 2,
            "position": 1,
            "questions": [
                {
                    "text": "Pick one",
                    "kind": "single",
                    "choices": [{"text": "Right", "is_correct": True}, {"text": "Wrong", "is_correct": False}],
                }
            ],
        },
    )
    assert r.status_code == 201, r.json()
    assert r.json()["questions"][0]["choices"][0]["is_correct"] is True

    r = grace.post("/api/courses/api-course/publish/")
    assert r.status_code == 200 and r.json()["is_published"] is True

    # A learner finds it, enrolls and sees the content built above.
    learner = client_for(UserFactory())
    assert learner.post("/api/courses/api-course/enroll/").status_code == 201
    outline = learner.get("/api/courses/api-course/").json()["modules"]
    assert [m["title"] for m in outline] == ["Getting started"]
    assert [lsn["slug"] for lsn in outline[0]["lessons"]] == ["hello"]
    assert [q["title"] for q in outline[0]["quizzes"]] == ["Check"]
    shown = learner.get(f"/api/quizzes/{outline[0]['quizzes'][0]['id']}/").json()
    assert all("is_correct" not in c for q in shown["questions"] for c in q["choices"])


def test_instructor_grant_is_for_admins_and_names_an_existing_user(admin_user, instructor, learner):
    assert client_for(instructor).post("/api/instructors/", {"username": learner.username}).status_code == 403
    assert client_for(learner).post("/api/instructors/", {"username": learner.username}).status_code == 403
    r = client_for(admin_user).post("/api/instructors/", {"username": "nobody-here"})
    assert r.status_code == 400 and "username" in r.json()


def test_only_instructors_create_courses(learner):
    r = client_for(learner).post("/api/courses/", {"slug": "mine", "title": "Mine", "summary": "No."})
    assert r.status_code == 403


# --- Who may write --------------------------------------------------------------------------------------
def _authoring_calls(course: Course) -> list[tuple[str, str, dict]]:
    module = course.modules.order_by("position").first()
    lesson = Lesson.objects.filter(module=module).first()
    quiz = Quiz.objects.filter(module=module).first()
    slug = course.slug
    return [
        ("patch", f"/api/courses/{slug}/", {"title": "Hijacked"}),
        ("post", f"/api/courses/{slug}/publish/", {}),
        ("post", f"/api/courses/{slug}/unpublish/", {}),
        ("get", f"/api/courses/{slug}/instructors/", {}),
        ("post", f"/api/courses/{slug}/instructors/", {"username": "whoever"}),
        ("delete", f"/api/courses/{slug}/instructors/whoever/", {}),
        ("post", f"/api/courses/{slug}/modules/", {"title": "New"}),
        ("patch", f"/api/modules/{module.pk}/", {"title": "Hijacked"}),
        ("delete", f"/api/modules/{module.pk}/", {}),
        ("post", f"/api/modules/{module.pk}/move/", {"position": 2}),
        ("post", f"/api/modules/{module.pk}/lessons/", {"slug": "x", "title": "X", "body_markdown": "x"}),
        ("patch", f"/api/lessons/{lesson.pk}/", {"title": "Hijacked"}),
        ("delete", f"/api/lessons/{lesson.pk}/", {}),
        ("post", f"/api/lessons/{lesson.pk}/move/", {"position": 2}),
        ("post", f"/api/modules/{module.pk}/quizzes/", {"title": "Q", "questions": []}),
        ("patch", f"/api/quizzes/{quiz.pk}/", {"title": "Hijacked"}),
        ("delete", f"/api/quizzes/{quiz.pk}/", {}),
        ("post", f"/api/quizzes/{quiz.pk}/move/", {"position": 2}),
        ("get", f"/api/courses/{slug}/enrollments/", {}),
        ("get", f"/api/courses/{slug}/enrollments/export/", {}),
        ("post", f"/api/courses/{slug}/enrollments/", {"learners": ["x"]}),
        ("get", f"/api/courses/{slug}/analytics/", {}),
        ("get", f"/api/courses/{slug}/export/", {}),
    ]


def _nothing_changed(course: Course, before: dict) -> None:
    assert _state(course) == before


def _state(course: Course) -> dict:
    course.refresh_from_db()
    return {
        "course": (course.title, course.is_published, course.content_version),
        "modules": list(Module.objects.filter(course=course).values_list("pk", "title", "position").order_by("pk")),
        "lessons": list(Lesson.objects.filter(course=course).values_list("pk", "title", "position").order_by("pk")),
        "quizzes": list(Quiz.objects.filter(course=course).values_list("pk", "title", "position").order_by("pk")),
        "instructors": sorted(course.instructors.values_list("pk", flat=True)),
    }


@pytest.mark.parametrize("who", ["learner", "enrolled_learner", "other_instructor"])
def test_nobody_but_the_course_staff_writes_a_published_course(who, course, learner):
    from tests.factories import EnrollmentFactory

    if who == "enrolled_learner":
        EnrollmentFactory(learner=learner, course=course)
    user = InstructorFactory() if who == "other_instructor" else learner
    client = client_for(user)
    before = _state(course)
    for method, url, body in _authoring_calls(course):
        r = getattr(client, method)(url, body, format="json")
        assert r.status_code == 403, (who, method, url, r.status_code)
        assert "detail" in r.json()
    _nothing_changed(course, before)


def test_someone_elses_unpublished_course_does_not_exist_for_another_instructor(course):
    Course.objects.filter(pk=course.pk).update(is_published=False)
    client = client_for(InstructorFactory())
    for method, url, body in _authoring_calls(course):
        r = getattr(client, method)(url, body, format="json")
        assert r.status_code == 404, (method, url, r.status_code)


def test_learners_get_403_even_for_unpublished_or_missing_courses(course, learner):
    Course.objects.filter(pk=course.pk).update(is_published=False)
    client = client_for(learner)
    # (The course endpoints of the catalog viewset, PATCH and publish/unpublish, answer 404 here.)
    for method, url, body in _authoring_calls(course)[3:]:
        assert getattr(client, method)(url, body, format="json").status_code == 403, (method, url)
    assert client.post("/api/courses/no-such-course/modules/", {"title": "x"}).status_code == 403
    assert (
        client.post("/api/modules/999999/lessons/", {"slug": "x", "title": "x", "body_markdown": ""}).status_code == 403
    )


def test_anonymous_callers_get_401(course):
    from rest_framework.test import APIClient

    module = course.modules.first()
    assert APIClient().post(f"/api/courses/{course.slug}/modules/", {"title": "x"}).status_code == 401
    assert APIClient().patch(f"/api/modules/{module.pk}/", {"title": "x"}).status_code == 401


def test_an_admin_writes_any_course(admin_user, course):
    client = client_for(admin_user)
    r = client.post(f"/api/courses/{course.slug}/modules/", {"title": "Admin's module"})
    assert r.status_code == 201
    assert client.patch(f"/api/modules/{r.json()['id']}/", {"title": "Renamed"}).json()["title"] == "Renamed"


# --- Co-instructors -------------------------------------------------------------------------------------
def test_co_instructors_must_hold_the_instructor_role(instructor, course):
    client = client_for(instructor)
    plain = UserFactory(username="plain")
    r = client.post(f"/api/courses/{course.slug}/instructors/", {"username": "plain"})
    assert r.status_code == 400 and "instructor role" in r.json()["username"][0]
    assert not course.instructors.filter(pk=plain.pk).exists()
    r = client.post(f"/api/courses/{course.slug}/instructors/", {"username": "ghost"})
    assert r.status_code == 400 and "username" in r.json()

    colleague = InstructorFactory(username="colleague")
    r = client.post(f"/api/courses/{course.slug}/instructors/", {"username": "Colleague"})
    assert r.status_code == 201 and r.json()["username"] == "colleague"
    assert client.post(f"/api/courses/{course.slug}/instructors/", {"username": "colleague"}).status_code == 200
    names = [i["username"] for i in client.get(f"/api/courses/{course.slug}/instructors/").json()]
    assert names == sorted([instructor.username, "colleague"])

    # The co-instructor may now write; after removal, no longer.
    co = client_for(colleague)
    assert co.patch(f"/api/courses/{course.slug}/", {"title": "Co-written"}).status_code == 200
    assert client.delete(f"/api/courses/{course.slug}/instructors/colleague/").status_code == 204
    assert co.patch(f"/api/courses/{course.slug}/", {"title": "Again"}).status_code == 403
    assert client.delete(f"/api/courses/{course.slug}/instructors/colleague/").status_code == 404


def test_the_last_instructor_cannot_be_removed(instructor, course):
    client = client_for(instructor)
    r = client.delete(f"/api/courses/{course.slug}/instructors/{instructor.username}/")
    assert r.status_code == 400 and r.json()["code"] == "last_instructor"
    assert course.instructors.filter(pk=instructor.pk).exists()


# --- Modules --------------------------------------------------------------------------------------------
def test_modules_are_inserted_moved_and_deleted_keeping_positions_unique(
    instructor, django_capture_on_commit_callbacks
):
    course = build_course(modules=0, slug="order")
    course.instructors.add(instructor)
    client = client_for(instructor)
    for title in ("A", "B", "C"):
        assert client.post("/api/courses/order/modules/", {"title": title}).status_code == 201
    assert positions(course) == [("a", 1), ("b", 2), ("c", 3)]

    r = client.post("/api/courses/order/modules/", {"title": "Intro", "position": 1})
    assert r.status_code == 201 and r.json()["position"] == 1
    assert positions(course) == [("intro", 1), ("a", 2), ("b", 3), ("c", 4)]

    version = Course.objects.get(pk=course.pk).content_version
    c = Module.objects.get(course=course, slug="c")
    r = client.post(f"/api/modules/{c.pk}/move/", {"position": 2})
    assert r.status_code == 200 and r.json()["position"] == 2
    assert positions(course) == [("intro", 1), ("c", 2), ("a", 3), ("b", 4)]
    assert Course.objects.get(pk=course.pk).content_version == version  # the draft moved; learners' version did not

    intro = Module.objects.get(course=course, slug="intro")
    assert client.post(f"/api/modules/{intro.pk}/move/", {"position": 4}).status_code == 200
    assert positions(course) == [("c", 1), ("a", 2), ("b", 3), ("intro", 4)]

    a = Module.objects.get(course=course, slug="a")
    assert client.delete(f"/api/modules/{a.pk}/").status_code == 204
    assert positions(course) == [("c", 1), ("b", 2), ("intro", 3)]

    assert client.post(f"/api/modules/{intro.pk}/move/", {"position": 0}).status_code == 400


def test_module_slugs_are_unique_and_well_formed(instructor, course):
    client = client_for(instructor)
    taken = course.modules.first().slug
    r = client.post(f"/api/courses/{course.slug}/modules/", {"title": "Dup", "slug": taken})
    assert r.status_code == 400 and "slug" in r.json()
    r = client.post(f"/api/courses/{course.slug}/modules/", {"title": "Bad", "slug": "Not A Slug"})
    assert r.status_code == 400 and "slug" in r.json()
    r = client.post(f"/api/courses/{course.slug}/modules/", {"title": "Twice"})
    r2 = client.post(f"/api/courses/{course.slug}/modules/", {"title": "Twice"})
    assert (r.json()["slug"], r2.json()["slug"]) == ("twice", "twice-2")
    assert client.post(f"/api/courses/{course.slug}/modules/", {"title": "  "}).status_code == 400


def test_module_patch_ignores_fields_it_does_not_own(instructor, course):
    other = build_course(modules=1)
    module = course.modules.order_by("position").first()
    r = client_for(instructor).patch(
        f"/api/modules/{module.pk}/",
        {"title": "Renamed", "id": 999999, "course": other.slug, "position": 7, "created_at": "2000-01-01T00:00Z"},
        format="json",
    )
    assert r.status_code == 200, r.json()
    module.refresh_from_db()
    assert (module.title, module.course_id, module.pk) == ("Renamed", course.pk, r.json()["id"])
    assert module.position == 1 and module.created_at.year != 2000


def test_text_edits_touch_the_outline_without_staling_progress(instructor, course, learner):
    client = client_for(instructor)
    module = course.modules.order_by("position").first()
    version = course.content_version
    assert client.patch(f"/api/modules/{module.pk}/", {"title": "New title"}).status_code == 200
    course.refresh_from_db()
    assert course.content_version == version
    from tests.factories import EnrollmentFactory

    EnrollmentFactory(learner=learner, course=course)
    outline = client_for(learner).get(f"/api/courses/{course.slug}/").json()["modules"]
    assert outline[0]["title"] != "New title"  # the draft's, until published
    assert client.post(f"/api/courses/{course.slug}/publish/").status_code == 200
    outline = client_for(learner).get(f"/api/courses/{course.slug}/").json()["modules"]
    assert outline[0]["title"] == "New title"


def test_deleting_a_module_takes_its_content(instructor, course):
    module = ModuleFactory(course=course, position=9, slug="extra")
    Lesson.objects.create(module=module, course=course, slug="extra-l", title="L", position=1)
    assert client_for(instructor).delete(f"/api/modules/{module.pk}/").status_code == 204
    assert not Lesson.objects.filter(slug="extra-l").exists()
