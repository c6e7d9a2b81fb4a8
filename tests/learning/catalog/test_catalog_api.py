"""The course catalog and course detail (outline), through the HTTP API."""

import pytest
from rest_framework.test import APIClient

from tests.conftest import client_for
from tests.factories import (
    AdminFactory,
    ChoiceFactory,
    CourseFactory,
    EnrollmentFactory,
    InstructorFactory,
    LessonCompletionFactory,
    LessonFactory,
    ModuleFactory,
    QuestionFactory,
    QuizAttemptFactory,
    QuizFactory,
    UserFactory,
    build_course,
)

pytestmark = pytest.mark.django_db

CATALOG = "/api/courses/"


def slugs(response) -> list[str]:
    return [c["slug"] for c in response.json()["results"]]


@pytest.fixture
def catalog():
    """Two published courses and one unpublished course taught by ``teacher``."""
    teacher = InstructorFactory(username="teacher")
    other = InstructorFactory(username="other-teacher")
    python = CourseFactory(slug="python", title="Python basics", summary="Learn snakes.", instructors=[teacher])
    rust = CourseFactory(slug="rust", title="Rust in depth", summary="Ownership and borrowing.", instructors=[other])
    draft = CourseFactory(
        slug="draft", title="Draft course", summary="Not yet.", is_published=False, instructors=[teacher]
    )
    return {"teacher": teacher, "other": other, "python": python, "rust": rust, "draft": draft}


# --- List ------------------------------------------------------------------------------------------
def test_catalog_is_a_page(catalog):
    r = APIClient().get(CATALOG)
    assert r.status_code == 200
    body = r.json()
    assert set(body) >= {"count", "next", "previous", "results"}
    assert body["count"] == 2 and body["next"] is None and body["previous"] is None
    course = body["results"][0]
    assert {"slug", "title", "summary", "is_published"} <= set(course)
    assert all(c["is_published"] for c in body["results"])


def test_anonymous_and_learners_see_published_courses_only(catalog):
    assert sorted(slugs(APIClient().get(CATALOG))) == ["python", "rust"]
    assert sorted(slugs(client_for(UserFactory()).get(CATALOG))) == ["python", "rust"]


def test_learners_cannot_ask_for_unpublished_courses(catalog):
    r = client_for(UserFactory()).get(CATALOG, {"is_published": "false"})
    assert r.status_code == 200 and r.json()["count"] == 0


def test_an_instructor_also_sees_their_own_unpublished_course(catalog):
    assert sorted(slugs(client_for(catalog["teacher"]).get(CATALOG))) == ["draft", "python", "rust"]
    # ...but not another instructor's unpublished course.
    CourseFactory(slug="secret", is_published=False, instructors=[catalog["other"]])
    assert "secret" not in slugs(client_for(catalog["teacher"]).get(CATALOG))


def test_an_admin_sees_every_course(catalog):
    CourseFactory(slug="orphan", is_published=False)
    assert sorted(slugs(client_for(AdminFactory()).get(CATALOG))) == ["draft", "orphan", "python", "rust"]


@pytest.mark.parametrize(
    "term, expected",
    [
        ("python", ["python"]),
        ("BORROW", ["rust"]),
        ("snakes", ["python"]),
        ("borr", ["rust"]),
        ("a", ["python", "rust"]),
        ("zzz", []),
    ],
)
def test_search_on_title_and_summary(catalog, term, expected):
    r = APIClient().get(CATALOG, {"search": term})
    assert r.status_code == 200
    assert sorted(slugs(r)) == expected


def test_search_never_finds_unpublished_courses_for_learners(catalog):
    assert slugs(APIClient().get(CATALOG, {"search": "draft"})) == []
    assert slugs(client_for(catalog["teacher"]).get(CATALOG, {"search": "draft"})) == ["draft"]


def test_filter_by_instructor(catalog):
    assert slugs(APIClient().get(CATALOG, {"instructor": "teacher"})) == ["python"]
    assert slugs(APIClient().get(CATALOG, {"instructor": "OTHER-teacher"})) == ["rust"]
    assert slugs(APIClient().get(CATALOG, {"instructor": "nobody"})) == []


def test_filter_by_instructor_does_not_duplicate_co_taught_courses(catalog):
    catalog["python"].instructors.add(catalog["other"])
    r = APIClient().get(CATALOG, {"instructor": "teacher"})
    assert slugs(r) == ["python"] and r.json()["count"] == 1
    r = APIClient().get(CATALOG)
    assert r.json()["count"] == 2 and sorted(slugs(r)) == ["python", "rust"]


def test_filter_by_is_published_for_an_instructor(catalog):
    client = client_for(catalog["teacher"])
    assert slugs(client.get(CATALOG, {"is_published": "false"})) == ["draft"]
    assert sorted(slugs(client.get(CATALOG, {"is_published": "true"}))) == ["python", "rust"]


def test_ordering(catalog):
    assert slugs(APIClient().get(CATALOG)) == ["python", "rust"]  # default: by title
    assert slugs(APIClient().get(CATALOG, {"ordering": "-title"})) == ["rust", "python"]


@pytest.mark.parametrize("ordering", ["password", "nonsense", "title,nope", " title"])
def test_unknown_ordering_field_is_a_400_naming_the_allowed_ones(catalog, ordering):
    r = APIClient().get(CATALOG, {"ordering": ordering})
    assert r.status_code == 400
    assert "title" in r.json()["ordering"][0]


def test_several_ordering_fields(catalog):
    assert slugs(APIClient().get(CATALOG, {"ordering": "-estimated_hours,title"})) in (
        ["python", "rust"],
        ["rust", "python"],
    )


@pytest.mark.parametrize("page_size", ["0", "-1"])
def test_page_size_below_one_is_a_400(catalog, page_size):
    r = APIClient().get(CATALOG, {"page_size": page_size})
    assert r.status_code == 400
    assert r.json()["page_size"] == ["Must be at least 1."]


@pytest.mark.parametrize("bad", [{"page": "999"}, {"page": "abc"}, {"page": "0"}, {"page_size": "x", "page": "-1"}])
def test_bad_query_parameters_are_4xx(catalog, bad):
    r = APIClient().get(CATALOG, bad)
    assert 400 <= r.status_code < 500
    assert isinstance(r.json(), dict)


def test_page_size_is_capped_at_100():
    CourseFactory.create_batch(105)
    r = APIClient().get(CATALOG, {"page_size": 1000})
    body = r.json()
    assert body["count"] == 105
    assert len(body["results"]) == 100
    assert body["next"]
    assert len(APIClient().get(CATALOG).json()["results"]) == 20
    assert len(APIClient().get(CATALOG, {"page_size": 7}).json()["results"]) == 7


def test_list_counts(catalog):
    course = build_course(modules=3, lessons_per_module=2, slug="counted", title="Counted")
    r = APIClient().get(CATALOG, {"search": "Counted"})
    (row,) = r.json()["results"]
    assert row["slug"] == course.slug
    assert (row["module_count"], row["lesson_count"], row["quiz_count"]) == (3, 6, 3)


# --- Detail ------------------------------------------------------------------------------------------
def test_detail_outline_is_ordered_by_position():
    course = CourseFactory(slug="ordered")
    # Created out of order on purpose.
    m2 = ModuleFactory(course=course, position=2, slug="m2")
    m1 = ModuleFactory(course=course, position=1, slug="m1")
    l12 = LessonFactory(module=m1, course=course, position=2, slug="l12")
    l11 = LessonFactory(module=m1, course=course, position=1, slug="l11")
    l21 = LessonFactory(module=m2, course=course, position=1, slug="l21")
    q2 = QuizFactory(module=m1, course=course, position=2, slug="q2")
    q1 = QuizFactory(module=m1, course=course, position=1, slug="q1")
    r = APIClient().get(f"{CATALOG}ordered/")
    assert r.status_code == 200
    body = r.json()
    assert {"slug", "title", "summary", "is_published", "modules"} <= set(body)
    assert [m["id"] for m in body["modules"]] == [m1.pk, m2.pk]
    assert [m["position"] for m in body["modules"]] == [1, 2]
    assert [lesson["id"] for lesson in body["modules"][0]["lessons"]] == [l11.pk, l12.pk]
    assert [lesson["id"] for lesson in body["modules"][1]["lessons"]] == [l21.pk]
    assert [q["id"] for q in body["modules"][0]["quizzes"]] == [q1.pk, q2.pk]
    module = body["modules"][0]
    assert {"id", "title", "position", "lessons", "quizzes"} <= set(module)
    assert {"id", "slug", "title", "position"} <= set(module["lessons"][0])
    assert {"id", "title"} <= set(module["quizzes"][0])


def test_detail_state_is_null_when_not_enrolled():
    course = build_course()
    for client in (APIClient(), client_for(UserFactory())):
        body = client.get(f"{CATALOG}{course.slug}/").json()
        lessons = [lesson for m in body["modules"] for lesson in m["lessons"]]
        quizzes = [q for m in body["modules"] for q in m["quizzes"]]
        assert lessons and quizzes
        assert all(lesson["completed"] is None for lesson in lessons)
        assert all(q["passed"] is None for q in quizzes)
        assert body["enrollment"] is None


def test_detail_state_is_boolean_when_enrolled():
    course = build_course()
    learner = UserFactory()
    EnrollmentFactory(learner=learner, course=course)
    first_lesson = course.lessons.order_by("module__position", "position").first()
    first_quiz = course.quizzes.order_by("module__position").first()
    LessonCompletionFactory(learner=learner, lesson=first_lesson)
    QuizAttemptFactory(learner=learner, quiz=first_quiz, score=100, passed=True)
    body = client_for(learner).get(f"{CATALOG}{course.slug}/").json()
    lessons = {lesson["id"]: lesson["completed"] for m in body["modules"] for lesson in m["lessons"]}
    quizzes = {q["id"]: q["passed"] for m in body["modules"] for q in m["quizzes"]}
    assert lessons.pop(first_lesson.pk) is True
    assert set(lessons.values()) == {False}
    assert quizzes.pop(first_quiz.pk) is True
    assert set(quizzes.values()) == {False}
    assert body["enrollment"]["status"] == "active"


def test_detail_state_is_null_for_a_dropped_learner():
    course = build_course()
    learner = UserFactory()
    EnrollmentFactory(learner=learner, course=course, status="dropped")
    body = client_for(learner).get(f"{CATALOG}{course.slug}/").json()
    assert all(lesson["completed"] is None for m in body["modules"] for lesson in m["lessons"])


def test_detail_state_is_per_learner():
    course = build_course()
    ada, bob = UserFactory(), UserFactory()
    EnrollmentFactory(learner=ada, course=course)
    EnrollmentFactory(learner=bob, course=course)
    LessonCompletionFactory(learner=ada, lesson=course.lessons.first())
    # Ada's request warms the cached outline; Bob must not see her state.
    assert any(lesson["completed"] for m in client_for(ada).get(f"{CATALOG}{course.slug}/").json()["modules"]
               for lesson in m["lessons"])  # fmt: skip
    bob_body = client_for(bob).get(f"{CATALOG}{course.slug}/").json()
    assert not any(lesson["completed"] for m in bob_body["modules"] for lesson in m["lessons"])


@pytest.mark.parametrize("who", ["anonymous", "learner", "enrolled", "other_instructor"])
def test_unpublished_detail_is_404_for_those_who_cannot_see_it(who):
    course = build_course(is_published=False)
    if who == "anonymous":
        client = APIClient()
    elif who == "learner":
        client = client_for(UserFactory())
    elif who == "enrolled":
        learner = UserFactory()
        EnrollmentFactory(learner=learner, course=course)
        client = client_for(learner)
    else:
        client = client_for(InstructorFactory())
    r = client.get(f"{CATALOG}{course.slug}/")
    assert r.status_code == 404
    assert "detail" in r.json()


def test_unpublished_detail_is_visible_to_its_instructor_and_admins():
    teacher = InstructorFactory()
    course = build_course(is_published=False, instructors=[teacher])
    assert client_for(teacher).get(f"{CATALOG}{course.slug}/").status_code == 200
    assert client_for(AdminFactory()).get(f"{CATALOG}{course.slug}/").status_code == 200


def test_unknown_course_is_404():
    r = APIClient().get(f"{CATALOG}no-such-course/")
    assert r.status_code == 404 and "detail" in r.json()


def _walk(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


@pytest.mark.parametrize("who", ["anonymous", "learner", "enrolled"])
def test_outline_never_contains_is_correct(who):
    course = build_course()
    quiz = course.quizzes.first()
    question = QuestionFactory(quiz=quiz, position=9)
    ChoiceFactory(question=question, position=1, is_correct=True, explanation="secret")
    client = APIClient()
    if who != "anonymous":
        learner = UserFactory()
        client = client_for(learner)
        if who == "enrolled":
            EnrollmentFactory(learner=learner, course=course)
    r = client.get(f"{CATALOG}{course.slug}/")
    assert r.status_code == 200
    keys = set(_walk(r.json()))
    assert "is_correct" not in keys
    assert "explanation" not in keys
    assert "choices" not in keys
    assert "secret" not in r.content.decode()


def test_cached_outline_follows_content_changes_made_through_the_api():
    teacher = InstructorFactory()
    course = build_course(modules=1, lessons_per_module=1, instructors=[teacher])
    learner = UserFactory()
    EnrollmentFactory(learner=learner, course=course)
    client, author = client_for(learner), client_for(teacher)
    url = f"{CATALOG}{course.slug}/"

    def publish():
        assert author.post(f"{CATALOG}{course.slug}/publish/").status_code == 200

    lesson = course.lessons.get()
    assert client.get(url).json()["modules"][0]["lessons"][0]["title"] == lesson.title  # warms the cache
    assert author.patch(f"/api/lessons/{lesson.pk}/", {"title": "Renamed"}, format="json").status_code == 200
    assert client.get(url).json()["modules"][0]["lessons"][0]["title"] == lesson.title  # a draft until published
    publish()
    assert client.get(url).json()["modules"][0]["lessons"][0]["title"] == "Renamed"
    module = course.modules.get()
    new = author.post(f"/api/modules/{module.pk}/lessons/", {"slug": "added", "title": "Added", "body_markdown": "x"})
    assert new.status_code == 201, new.json()
    publish()
    lessons = client.get(url).json()["modules"][0]["lessons"]
    assert [item["title"] for item in lessons] == ["Renamed", "Added"]
    assert lessons[1]["completed"] is False
    progress = client.get(f"{CATALOG}{course.slug}/progress/").json()
    assert progress["total_lessons"] == 2
    assert author.delete(f"/api/lessons/{new.json()['id']}/").status_code == 204
    publish()
    assert [item["title"] for item in client.get(url).json()["modules"][0]["lessons"]] == ["Renamed"]


# --- Shared catalog cache ------------------------------------------------------------------------------
def test_a_cached_catalog_page_costs_no_query_and_any_course_change_refreshes_it(
    django_assert_num_queries, django_capture_on_commit_callbacks, instructor
):
    first = CourseFactory(title="Alpha", instructors=[instructor])
    anonymous = APIClient()
    assert [c["title"] for c in anonymous.get("/api/courses/").json()["results"]] == ["Alpha"]
    with django_assert_num_queries(0):
        assert anonymous.get("/api/courses/").status_code == 200

    author = client_for(instructor)
    with django_capture_on_commit_callbacks(execute=True):
        author.patch(f"/api/courses/{first.slug}/", {"title": "Alpha, revised"}, format="json")
    assert [c["title"] for c in anonymous.get("/api/courses/").json()["results"]] == ["Alpha, revised"]

    with django_capture_on_commit_callbacks(execute=True):
        CourseFactory(title="Beta")
    assert [c["title"] for c in anonymous.get("/api/courses/").json()["results"]] == ["Alpha, revised", "Beta"]

    with django_capture_on_commit_callbacks(execute=True):
        author.post(f"/api/courses/{first.slug}/unpublish/")
    assert [c["title"] for c in anonymous.get("/api/courses/").json()["results"]] == ["Beta"]
    # The instructor sees their unpublished course: their page is never the shared one.
    assert {c["title"] for c in author.get("/api/courses/").json()["results"]} == {"Alpha, revised", "Beta"}


def test_long_query_strings_are_cached_under_short_keys(django_assert_num_queries, recwarn):
    CourseFactory(title="Alpha")
    url = "/api/courses/?search=" + "a" * 200 + "&" + "&".join(f"x{i}=y" for i in range(100))
    anonymous = APIClient()
    assert anonymous.get(url).json()["results"] == []
    with django_assert_num_queries(0):
        assert anonymous.get(url).json()["results"] == []
    assert anonymous.get("/api/courses/?search=alp").json()["count"] == 1  # another page, another entry
    # Memcached-safe keys: Django warns (CacheKeyWarning) about keys over 250 characters.
    assert not [w for w in recwarn.list if "CacheKeyWarning" in type(w.message).__name__]


# --- Anonymous reads answered before DRF --------------------------------------------------------
@pytest.fixture
def drf_requests(monkeypatch):
    """How many requests went through DRF's ``initial`` (negotiation, authentication, permissions)."""
    from learning.catalog.views import CourseViewSet

    calls = []
    original = CourseViewSet.initial

    def counted(self, request, *args, **kwargs):
        calls.append(request.path)
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(CourseViewSet, "initial", counted)
    return calls


def _same_answer(fast, ordinary) -> None:
    assert fast.status_code == ordinary.status_code == 200
    assert fast.content == ordinary.content
    for header in ("Content-Type", "Allow", "Vary"):
        assert fast.get(header) == ordinary.get(header), header


def test_anonymous_course_and_catalog_pages_skip_drf_and_answer_the_same(catalog, drf_requests):
    build_course(slug="outlined", modules=2, lessons_per_module=2)
    anonymous = APIClient()
    for url in ("/api/courses/outlined/", CATALOG, f"{CATALOG}?search=rust"):
        ordinary = anonymous.get(url, HTTP_ACCEPT="application/json; q=0.9")  # not plain JSON: DRF path
        drf_requests.clear()
        fast = anonymous.get(url)
        assert drf_requests == [], url
        _same_answer(fast, ordinary)


def test_callers_with_credentials_or_other_wishes_take_the_ordinary_path(catalog, drf_requests):
    course = build_course(slug="outlined", modules=1, lessons_per_module=1)
    learner = UserFactory()
    EnrollmentFactory(learner=learner, course=course)
    assert APIClient().get("/api/courses/outlined/").status_code == 200  # warm
    drf_requests.clear()
    enrolled = client_for(learner).get("/api/courses/outlined/")
    assert enrolled.json()["enrollment"] is not None  # their own state, not the public page
    session = APIClient()
    session.force_login(learner)
    assert session.get("/api/courses/outlined/").json()["enrollment"] is not None
    assert APIClient().get("/api/courses/outlined/?format=json").status_code == 200
    assert APIClient().get("/api/courses/nope/").status_code == 404
    assert len(drf_requests) == 4


def test_an_unpublished_course_is_never_answered_early(catalog, drf_requests):
    assert APIClient().get("/api/courses/draft/").status_code == 404
    assert drf_requests == ["/api/courses/draft/"]


def test_the_early_answer_is_throttled(catalog, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "anon": "3/minute"})
    anonymous = APIClient()
    codes = [anonymous.get("/api/courses/python/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = anonymous.get("/api/courses/python/")
    assert refused.status_code == 429 and "Retry-After" in refused and "detail" in refused.json()


@pytest.mark.parametrize("url", [f"{CATALOG}?search=new-term-{{}}", "/api/courses/no-such-course-{}/"])
def test_a_request_the_early_path_passes_on_counts_once(catalog, monkeypatch, url):
    """A catalog page not rendered yet (a new search term) or a slug with no published course goes on
    to DRF after the early path's throttle check: it costs one hit of the allowance, not two."""
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "anon": "4/minute"})
    anonymous = APIClient()
    codes = [anonymous.get(url.format(i)).status_code for i in range(5)]
    assert codes[:4] == [codes[0]] * 4 and codes[0] in (200, 404)
    assert codes[4] == 429


def test_the_early_answer_follows_content_changes(catalog):
    anonymous = APIClient()
    assert anonymous.get("/api/courses/python/").json()["title"] == "Python basics"
    assert "Python basics" in [c["title"] for c in anonymous.get(CATALOG).json()["results"]]
    teacher = client_for(catalog["teacher"])
    assert teacher.patch("/api/courses/python/", {"title": "Python, renamed"}, format="json").status_code == 200
    assert anonymous.get("/api/courses/python/").json()["title"] == "Python, renamed"
    assert "Python, renamed" in [c["title"] for c in anonymous.get(CATALOG).json()["results"]]


def test_only_the_course_page_and_the_catalog_are_answered_early(catalog, drf_requests):
    """The viewset's other routes under the same slug keep their own rules (progress: 401)."""
    assert APIClient().get("/api/courses/python/").status_code == 200  # warm
    drf_requests.clear()
    assert APIClient().get("/api/courses/python/progress/").status_code == 401
    assert drf_requests == ["/api/courses/python/progress/"]


def test_instructors_are_shown_by_name_in_the_same_order_on_the_catalog_and_the_course_page():
    """Each instructor as they chose to be shown (their name, else their full name, else their
    username), listed by account age whatever the order they were added in; the catalog (its names
    read with the page's rows on PostgreSQL) and the course page agree."""
    chosen = InstructorFactory(name="Dr. Chosen", first_name="Ignored", last_name="Too")
    full = InstructorFactory(first_name=" Ada", last_name="Lovelace ")
    bare = InstructorFactory(first_name="", last_name="")
    course = build_course(modules=1, lessons_per_module=1, slug="taught", title="Quillwork for beginners")
    course.instructors.add(bare, full, chosen)
    names = ["Dr. Chosen", "Ada Lovelace", bare.username]

    [entry] = [c for c in APIClient().get("/api/courses/").json()["results"] if c["slug"] == "taught"]
    assert entry["instructors"] == names
    assert APIClient().get("/api/courses/?search=quillwork").json()["results"][0]["instructors"] == names
    assert APIClient().get("/api/courses/taught/").json()["instructors"] == names
