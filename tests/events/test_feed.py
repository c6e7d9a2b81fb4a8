"""GET /api/events/: admins read every course's events, instructors their courses', learners none;
commit order, a cursor that loses nothing, filters; ``?format=xapi`` as valid xAPI 1.0.3 statements."""

import json
from pathlib import Path

import jsonschema
import pytest

from events.models import Event
from tests.conftest import client_for
from tests.factories import AdminFactory, InstructorFactory, UserFactory, build_course, right_answers

pytestmark = pytest.mark.django_db(transaction=True)
SCHEMA = json.loads((Path(__file__).parent / "xapi_statement.schema.json").read_text())
ADL = "http://adlnet.gov/expapi/verbs/"


@pytest.fixture
def world():
    """Two courses, each with an instructor, and a learner who goes through the first one."""
    mine = build_course(modules=1, lessons_per_module=1, quiz_per_module=True)
    theirs = build_course(modules=1, lessons_per_module=1, quiz_per_module=False)
    teacher, other = InstructorFactory(), InstructorFactory()
    mine.instructors.add(teacher)
    theirs.instructors.add(other)
    learner = UserFactory()
    client = client_for(learner)
    client.post(f"/api/courses/{mine.slug}/enroll/")
    client.post(f"/api/lessons/{mine.lessons.get().pk}/complete/")
    quiz = mine.quizzes.get()
    wrong = [{"question": q["question"], "choices": q["choices"][-1:] or []} for q in right_answers(quiz)]
    client.post(f"/api/quizzes/{quiz.pk}/attempts/", {"answers": wrong})
    client.post(f"/api/quizzes/{quiz.pk}/attempts/", {"answers": right_answers(quiz)})
    client_for(UserFactory()).post(f"/api/courses/{theirs.slug}/enroll/")
    return {"mine": mine, "theirs": theirs, "teacher": teacher, "other": other, "learner": learner}


def test_who_may_read(world, api_client):
    assert api_client.get("/api/events/").status_code == 401
    r = client_for(world["learner"]).get("/api/events/")
    assert r.status_code == 403 and "instructors" in r.json()["detail"]
    mine = client_for(world["teacher"]).get("/api/events/").json()["results"]
    assert {e["course"] for e in mine} == {world["mine"].slug}
    everything = client_for(AdminFactory()).get("/api/events/").json()["results"]
    assert {e["course"] for e in everything} == {world["mine"].slug, world["theirs"].slug}
    assert client_for(world["teacher"]).get(f"/api/events/?course={world['theirs'].slug}").json()["results"] == []


def test_items_cursor_and_filters(world):
    client = client_for(AdminFactory())
    body = client.get("/api/events/?limit=2").json()
    assert set(body) == {"results", "next_cursor"}
    first = body["results"]
    assert [e["type"] for e in first] == ["enrollment.created", "lesson.completed"]
    assert set(first[0]) >= {"id", "type", "occurred_at", "course", "learner", "data"}
    assert first[0]["learner"] == world["learner"].pk and first[0]["course"] == world["mine"].slug
    assert body["next_cursor"] == first[-1]["cursor"]
    rest = client.get(f"/api/events/?after={body['next_cursor']}").json()
    seen = [e["id"] for e in first + rest["results"]]
    everything = client.get("/api/events/?limit=1000").json()
    assert seen == [e["id"] for e in everything["results"]]  # nothing lost, nothing repeated
    assert len(seen) == len(set(seen)) == Event.objects.count()
    # Caught up: the same cursor back, and nothing.
    caught_up = client.get(f"/api/events/?after={everything['next_cursor']}").json()
    assert caught_up == {"results": [], "next_cursor": everything["next_cursor"]}
    graded = client.get("/api/events/?type=quiz.attempt_graded").json()["results"]
    assert [e["data"]["passed"] for e in graded] == [False, True]
    both = client.get("/api/events/?type=course.completed,certificate.issued").json()["results"]
    assert [e["type"] for e in both] == ["course.completed", "certificate.issued"]
    theirs = client.get(f"/api/events/?course={world['theirs'].slug}").json()["results"]
    assert [e["type"] for e in theirs] == ["enrollment.created"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("after=abc", "after"), ("after=-1", "after"), ("type=enrollment.exploded", "type"), ("limit=0", "limit")],
)
def test_bad_queries_answer_400_naming_the_field(world, query, field):
    r = client_for(AdminFactory()).get(f"/api/events/?{query}")
    assert r.status_code == 400 and field in r.json()


def test_xapi_statements_are_valid_and_say_what_happened(world):
    client = client_for(AdminFactory())
    body = client.get("/api/events/?format=xapi&limit=1000").json()
    statements = body["results"]
    for statement in statements:
        jsonschema.validate(statement, SCHEMA, format_checker=jsonschema.FormatChecker())
    verbs = [s["verb"]["id"] for s in statements]
    assert verbs == [
        f"{ADL}registered",
        f"{ADL}completed",
        f"{ADL}failed",
        f"{ADL}passed",
        f"{ADL}completed",
        "http://id.tincanapi.com/verb/earned",
        f"{ADL}registered",
    ]
    plain = client.get("/api/events/?limit=1000").json()
    assert [s["id"] for s in statements] == [e["id"] for e in plain["results"]]  # statement id = event id
    assert body["next_cursor"] == plain["next_cursor"]
    first = statements[0]
    assert first["actor"] == {
        "objectType": "Agent",
        "account": {"homePage": "https://courses.example.com", "name": str(world["learner"].pk)},
    }
    assert first["object"]["id"] == f"https://courses.example.com/api/courses/{world['mine'].slug}/"
    assert first["version"] == "1.0.3"
    passed = statements[3]
    assert passed["result"]["success"] is True and passed["result"]["score"]["scaled"] == 1.0
    assert passed["context"]["contextActivities"]["parent"][0]["id"] == first["object"]["id"]


def test_a_statement_that_breaks_the_schema_is_caught():
    """The schema is strict enough to matter: an actor without an account is refused."""
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"actor": {"name": "x"}, "verb": {"id": f"{ADL}passed"}, "object": {"id": "x"}}, SCHEMA)


def test_course_published_has_no_statement_but_moves_the_cursor():
    course = build_course(modules=1, lessons_per_module=1, quiz_per_module=False, is_published=False)
    admin = AdminFactory()
    client = client_for(admin)
    assert client.post(f"/api/courses/{course.slug}/publish/").status_code == 200
    body = client.get("/api/events/?format=xapi").json()
    assert body["results"] == []
    assert body["next_cursor"] == str(Event.objects.get().position)


def test_an_unknown_format_is_a_400_naming_it(world):
    r = client_for(AdminFactory()).get("/api/events/?format=csv")
    assert r.status_code == 400 and "format" in r.json()


@pytest.mark.parametrize("name", ["after", "type", "course", "limit"])
def test_an_empty_parameter_is_a_400_naming_it(world, name):
    r = client_for(AdminFactory()).get(f"/api/events/?{name}=")
    assert r.status_code == 400 and name in r.json()
