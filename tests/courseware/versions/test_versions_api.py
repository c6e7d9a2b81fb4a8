"""Live courses through the API: authoring changes the draft, learners read the published version,
every publish is a numbered version with an impact preview, diff and restore; progress follows
the published version and never breaks (``courseware.versions``, ``courseware.versions.impact``)."""

import pytest
from django.db.models import Count

from courseware.models import Certificate, ContentBlob, Course, CourseVersion, Enrollment
from lessons.models import Lesson, LessonCompletion
from quizzes.models import Quiz, QuizAttempt
from tests.conftest import client_for
from tests.factories import UserFactory, build_course, right_answers

pytestmark = pytest.mark.django_db
commits = None  # ``with commits():`` runs what a request queued after commit (the progress pipeline)


@pytest.fixture(autouse=True)
def _run_commits(django_capture_on_commit_callbacks):
    global commits
    commits = lambda: django_capture_on_commit_callbacks(execute=True)  # noqa: E731


def _lessons(course: Course) -> list[Lesson]:
    return list(Lesson.objects.filter(course=course).order_by("module__position", "position"))


def _publish(client, course: Course, **body) -> dict:
    with commits():
        response = client.post(f"/api/courses/{course.slug}/publish/", body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def _enrolled(course: Course, n: int = 1) -> list:
    learners = UserFactory.create_batch(n)
    for learner in learners:
        with commits():
            client_for(learner).post(f"/api/courses/{course.slug}/enroll/")
    return learners


def _complete(client, lesson: Lesson) -> None:
    with commits():
        response = client.post(f"/api/lessons/{lesson.pk}/complete/")
    assert response.status_code in (200, 202), response.content


def _progress(client, course: Course) -> dict:
    response = client.get(f"/api/courses/{course.slug}/progress/")
    assert response.status_code == 200, response.content
    return response.json()


# --- Draft and published -------------------------------------------------------------------------
def test_an_edit_after_publish_reaches_learners_only_when_published(course, instructor):
    (learner,) = _enrolled(course)
    author, reader = client_for(instructor), client_for(learner)
    lesson = _lessons(course)[0]
    before = reader.get(f"/api/lessons/{lesson.pk}/").json()["body_html"]

    response = author.patch(f"/api/lessons/{lesson.pk}/", {"body_markdown": "A **new** body."}, format="json")
    assert response.status_code == 200, response.content
    assert reader.get(f"/api/lessons/{lesson.pk}/").json()["body_html"] == before
    draft = author.get(f"/api/lessons/{lesson.pk}/?version=draft").json()
    assert "<strong>new</strong>" in draft["body_html"]
    assert reader.get(f"/api/lessons/{lesson.pk}/?version=draft").status_code == 403

    published = _publish(author, course)
    assert published["version"] == 2 and published["items_changed"] == 1 and not published["dry_run"]
    assert published["slug"] == course.slug and published["is_published"] is True  # the v1 shape, kept
    assert "<strong>new</strong>" in reader.get(f"/api/lessons/{lesson.pk}/").json()["body_html"]
    assert _publish(author, course)["version"] == 2  # nothing new: no new version
    assert CourseVersion.objects.filter(course=course).count() == 2


def test_a_lesson_added_to_the_draft_is_not_in_the_outline_until_published(course, instructor):
    (learner,) = _enrolled(course)
    author, reader = client_for(instructor), client_for(learner)
    module = course.modules.order_by("position").first()
    response = author.post(
        f"/api/modules/{module.pk}/lessons/",
        {"slug": "brand-new", "title": "Brand new", "body_markdown": "Text."},
        format="json",
    )
    assert response.status_code == 201, response.content
    new_id = response.json()["id"]

    def outline_ids(client, query=""):
        data = client.get(f"/api/courses/{course.slug}/{query}").json()
        return {lesson["id"] for m in data["modules"] for lesson in m["lessons"]}

    assert new_id not in outline_ids(reader)
    assert new_id in outline_ids(author, "?version=draft")
    assert reader.get(f"/api/courses/{course.slug}/?version=draft").status_code == 403
    assert reader.get(f"/api/lessons/{new_id}/").status_code == 404  # not in any published version yet
    assert _progress(reader, course)["total_lessons"] == 4
    _publish(author, course)
    assert new_id in outline_ids(reader)
    assert _progress(reader, course)["total_lessons"] == 5


def test_publishing_asks_the_course_writer(course, instructor, learner_client, learner):
    learner_client.post(f"/api/courses/{course.slug}/enroll/")
    assert learner_client.post(f"/api/courses/{course.slug}/publish/", {"dry_run": True}).status_code == 403
    assert learner_client.get(f"/api/courses/{course.slug}/versions/").status_code == 403
    assert learner_client.post(f"/api/courses/{course.slug}/versions/1/restore/").status_code == 403
    response = client_for(instructor).post(f"/api/courses/{course.slug}/publish/", {"dry_run": "maybe"}, format="json")
    assert response.status_code == 400 and "dry_run" in response.json()


# --- Impact preview ------------------------------------------------------------------------------
def _mixed_progress(course: Course, learners: list) -> None:
    """Learner k completed the first k lessons (k = 0..): a spread of progress."""
    lessons = _lessons(course)
    for k, learner in enumerate(learners):
        client = client_for(learner)
        for lesson in lessons[: k % (len(lessons) + 1)]:
            _complete(client, lesson)


def test_the_dry_run_says_what_the_publish_then_does(course, instructor):
    learners = _enrolled(course, 5)
    _mixed_progress(course, learners)
    author = client_for(instructor)
    lessons = _lessons(course)
    module = course.modules.order_by("position").first()
    author.post(
        f"/api/modules/{module.pk}/lessons/",
        {"slug": "extra", "title": "Extra", "body_markdown": "More."},
        format="json",
    )
    assert author.delete(f"/api/lessons/{lessons[0].pk}/").status_code == 204
    stored = dict(Enrollment.objects.filter(course=course).values_list("learner_id", "progress"))

    preview = _publish(author, course, dry_run=True)
    assert preview["dry_run"] is True and preview["version"] == 2
    assert (preview["items_added"], preview["items_changed"], preview["items_removed"]) == (1, 1, 1)
    moved = next(c for c in preview["changes"] if c["change"] == "changed")
    assert moved["id"] == lessons[1].pk  # it moved up into the removed lesson's place
    assert Course.objects.get(pk=course.pk).published_version == 1  # nothing changed
    assert dict(Enrollment.objects.filter(course=course).values_list("learner_id", "progress")) == stored
    removed = next(c for c in preview["changes"] if c["change"] == "removed")
    assert removed["id"] == lessons[0].pk and removed["learners"] == 4  # learners 1..4 completed it
    added = next(c for c in preview["changes"] if c["change"] == "added")
    assert added["learners"] == 5

    applied = _publish(author, course)
    assert applied["version"] == preview["version"]
    for key in ("items_added", "items_changed", "items_removed", "learners_affected", "progress_changes"):
        assert applied[key] == preview[key], key
    after = dict(Enrollment.objects.filter(course=course).values_list("learner_id", "progress"))
    moves: dict[tuple[int, int], int] = {}
    for learner_id, was in stored.items():
        if was != after[learner_id]:
            moves[(was, after[learner_id])] = moves.get((was, after[learner_id]), 0) + 1
    assert {(m["from"], m["to"]): m["learners"] for m in preview["progress_changes"]} == moves
    moved = {learner_id for learner_id in stored if stored[learner_id] != after[learner_id]}
    completed_removed = set(LessonCompletion.objects.filter(lesson=lessons[0]).values_list("learner_id", flat=True))
    assert preview["learners_affected"] == len(moved | completed_removed)


# --- Progress rules ------------------------------------------------------------------------------
def test_a_completed_learner_stays_completed_whatever_a_later_version_adds(course, instructor):
    (learner,) = _enrolled(course)
    reader, author = client_for(learner), client_for(instructor)
    for lesson in _lessons(course):
        _complete(reader, lesson)
    for quiz in Quiz.objects.filter(course=course):
        with commits():
            answered = reader.post(f"/api/quizzes/{quiz.pk}/attempts/", {"answers": right_answers(quiz)}, format="json")
        assert answered.status_code == 201 and answered.json()["passed"], answered.content
    done = _progress(reader, course)
    assert done["status"] == "completed" and done["certificate"] is not None
    module = course.modules.order_by("position").first()
    author.post(
        f"/api/modules/{module.pk}/lessons/",
        {"slug": "later", "title": "Later", "body_markdown": "New."},
        format="json",
    )
    preview = _publish(author, course, dry_run=True)
    assert preview["completed_learners"] == 1
    assert preview["progress_changes"] == [{"from": 100, "to": 85, "learners": 1}]  # 6 of 7 items
    _publish(author, course)
    now = _progress(reader, course)
    assert now["status"] == "completed"
    assert now["certificate"]["code"] == done["certificate"]["code"]
    assert now["progress"] == 85
    assert Certificate.objects.filter(learner=learner).count() == 1


def test_removing_a_lesson_keeps_its_completions_and_they_count_again_when_it_returns(course, instructor):
    (learner,) = _enrolled(course)
    reader, author = client_for(learner), client_for(instructor)
    first = _lessons(course)[0]
    _complete(reader, first)
    assert _progress(reader, course)["completed_lessons"] == 1
    assert author.delete(f"/api/lessons/{first.pk}/").status_code == 204
    _publish(author, course)  # version 2: without the lesson
    progress = _progress(reader, course)
    assert (progress["completed_lessons"], progress["total_lessons"]) == (0, 3)
    assert LessonCompletion.objects.filter(lesson_id=first.pk, learner=learner).exists()

    restored = author.post(f"/api/courses/{course.slug}/versions/1/restore/")
    assert restored.status_code == 200, restored.content
    assert restored.json()["restored"] == 1 and restored.json()["items_added"] == 1
    assert _progress(reader, course)["total_lessons"] == 3  # the restore is a draft until published
    assert _publish(author, course)["version"] == 3
    progress = _progress(reader, course)
    assert (progress["completed_lessons"], progress["total_lessons"]) == (1, 4)


def test_a_learner_mid_quiz_finishes_on_the_questions_they_started_with(course, instructor):
    (learner,) = _enrolled(course)
    reader, author = client_for(learner), client_for(instructor)
    quiz = Quiz.objects.filter(course=course).order_by("module__position").first()
    started = reader.post(f"/api/quizzes/{quiz.pk}/attempts/start/")
    assert started.status_code in (200, 201), started.content
    asked = reader.get(f"/api/quizzes/{quiz.pk}/").json()["questions"]
    single = next(q for q in asked if q["kind"] == "single")

    # The instructor replaces the quiz's questions with a new one and publishes.
    new_questions = [{"text": "Entirely new?", "kind": "single", "choices": [
        {"text": "Yes", "is_correct": True}, {"text": "No", "is_correct": False}]}]  # fmt: skip
    response = author.patch(f"/api/quizzes/{quiz.pk}/", {"questions": new_questions}, format="json")
    assert response.status_code == 200, response.content
    _publish(author, course)
    assert [q["text"] for q in reader.get(f"/api/quizzes/{quiz.pk}/").json()["questions"]] == ["Entirely new?"]

    # The attempt started on version 1 is graded on version 1's questions.
    right = single["choices"][0]["id"]
    submitted = reader.post(
        f"/api/quizzes/{quiz.pk}/attempts/",
        {"answers": [{"question": single["id"], "choices": [right]}]},
        format="json",
    )
    assert submitted.status_code == 201, submitted.content
    attempt = QuizAttempt.objects.get(pk=submitted.json()["id"])
    assert {r["question"] for r in attempt.results} == {q["id"] for q in asked}


# --- Versions, diff, restore ---------------------------------------------------------------------
def test_versions_list_diff_and_restore_round_trip(course, instructor):
    author = client_for(instructor)
    lesson = _lessons(course)[1]
    original = Lesson.objects.get(pk=lesson.pk).body_markdown
    author.patch(f"/api/lessons/{lesson.pk}/", {"body_markdown": "Rewritten.\n\nSecond paragraph."}, format="json")
    _publish(author, course, note="Rewrote lesson 2")

    page = author.get(f"/api/courses/{course.slug}/versions/").json()
    assert [v["number"] for v in page["results"]] == [2, 1]
    newest = page["results"][0]
    assert newest["published_by"] == instructor.username and newest["note"] == "Rewrote lesson 2"
    assert (newest["items_added"], newest["items_changed"], newest["items_removed"]) == (0, 1, 0)
    assert newest["is_published"] is True and page["results"][1]["is_published"] is False

    diff = author.get(f"/api/courses/{course.slug}/versions/2/diff/?against=1").json()
    (changed,) = diff["lessons"]["changed"]
    assert changed["id"] == lesson.pk and changed["moved"] is False
    assert "+Rewritten." in changed["diff"] and f"-{original.splitlines()[0]}" in changed["diff"]
    assert diff["quizzes"] == {"added": [], "changed": [], "removed": []}
    assert author.get(f"/api/courses/{course.slug}/versions/2/diff/").json() == diff  # against the one before
    assert author.get(f"/api/courses/{course.slug}/versions/9/diff/").status_code == 404
    assert author.get(f"/api/courses/{course.slug}/versions/2/diff/?against=x").status_code == 400

    blobs = ContentBlob.objects.count()
    assert author.post(f"/api/courses/{course.slug}/versions/1/restore/").status_code == 200
    assert author.post(f"/api/courses/{course.slug}/versions/1/restore/").status_code == 200  # again: harmless
    assert Lesson.objects.get(pk=lesson.pk).body_markdown == original
    assert _publish(author, course)["version"] == 3
    assert ContentBlob.objects.count() == blobs  # version 3 is version 1's content: no new blob
    assert author.get(f"/api/courses/{course.slug}/versions/3/diff/?against=1").json()["lessons"]["changed"] == []
    assert author.post(f"/api/courses/{course.slug}/versions/7/restore/").status_code == 404


def test_storage_grows_with_the_change_not_the_course(instructor):
    course = build_course(modules=3, lessons_per_module=10)
    course.instructors.add(instructor)
    author = client_for(instructor)
    blobs, items = ContentBlob.objects.count(), course.version_items.count()
    lesson = _lessons(course)[7]
    author.patch(f"/api/lessons/{lesson.pk}/", {"body_markdown": "One lesson changed."}, format="json")
    _publish(author, course)
    assert ContentBlob.objects.count() == blobs + 1
    assert course.version_items.count() == items + 1  # one row closed, one row opened
    counts = dict(course.version_items.values_list("until").annotate(n=Count("id")))
    assert counts[2] == 1 and counts[None] == items


def test_a_course_never_published_has_only_a_draft(instructor):
    author = client_for(instructor)
    assert (
        author.post("/api/courses/", {"slug": "fresh", "title": "Fresh", "summary": "S"}, format="json").status_code
        == 201
    )
    module = author.post("/api/courses/fresh/modules/", {"title": "M"}, format="json").json()
    author.post(
        f"/api/modules/{module['id']}/lessons/", {"slug": "l", "title": "L", "body_markdown": "Body."}, format="json"
    )
    assert author.get("/api/courses/fresh/versions/").json()["count"] == 0
    outline = author.get("/api/courses/fresh/").json()["modules"]  # the instructor sees the only content there is
    assert [len(m["lessons"]) for m in outline] == [1]
    preview = _publish(author, Course.objects.get(slug="fresh"), dry_run=True)
    assert (preview["version"], preview["items_added"], preview["learners_enrolled"]) == (1, 1, 0)
    assert _publish(author, Course.objects.get(slug="fresh"))["version"] == 1
