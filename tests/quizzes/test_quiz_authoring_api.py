"""Quiz authoring through the API: a quiz with its questions and choices in one request, validation
errors that name the path of what is wrong, replacing questions by position, moves and deletes."""

import pytest

from courseware.models import Course
from quizzes.models import Choice, Question, Quiz
from tests.conftest import client_for
from tests.factories import EnrollmentFactory, InstructorFactory, QuizAttemptFactory

pytestmark = pytest.mark.django_db


def question(text="Q?", kind="single", correct=(0,), n=3, **extra) -> dict:
    return {
        "text": text,
        "kind": kind,
        "choices": [
            {"text": f"{text} choice {i}", "is_correct": i in correct, "explanation": f"Because {i}."} for i in range(n)
        ],
        **extra,
    }


def quiz_body(**fields) -> dict:
    return {
        "title": "Module check",
        "pass_percent": 60,
        "max_attempts": 2,
        "questions": [question("One?"), question("Many?", kind="multiple", correct=(0, 2))],
        **fields,
    }


@pytest.fixture
def client(instructor):
    return client_for(instructor)


@pytest.fixture
def module(course):
    return course.modules.order_by("position").first()


def test_create_a_quiz_with_questions_and_choices_in_one_request(client, module):
    r = client.post(f"/api/modules/{module.pk}/quizzes/", quiz_body(time_limit_minutes=15, scoring="partial"))
    assert r.status_code == 201, r.json()
    data = r.json()
    assert data["slug"] == "module-check" and data["position"] == 2  # after the module's quiz
    assert (data["pass_percent"], data["max_attempts"], data["scoring"], data["time_limit_minutes"]) == (
        60,
        2,
        "partial",
        15,
    )
    assert [q["text"] for q in data["questions"]] == ["One?", "Many?"]
    assert [[c["is_correct"] for c in q["choices"]] for q in data["questions"]] == [
        [True, False, False],
        [True, False, True],
    ]
    assert data["questions"][0]["choices"][1]["explanation"] == "Because 1."
    quiz = Quiz.objects.get(pk=data["id"])
    assert quiz.questions.count() == 2 and Choice.objects.filter(question__quiz=quiz).count() == 6


def test_the_contract_body_is_enough(client, module):
    body = {
        "title": "Minimal",
        "pass_percent": 70,
        "max_attempts": 3,
        "position": 5,
        "questions": [
            {"text": "Yes?", "kind": "single", "choices": [{"text": "Y", "is_correct": True}, {"text": "N"}]}
        ],
    }
    r = client.post(f"/api/modules/{module.pk}/quizzes/", body, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["position"] == 5 and r.json()["questions"][0]["choices"][1]["is_correct"] is False


@pytest.mark.parametrize(
    ("questions", "path"),
    [
        ([question("A"), question("B"), question("C", correct=())], "questions[2].choices"),
        ([question("A", correct=(0, 1))], "questions[0].choices"),
        ([question("A", kind="multiple", correct=())], "questions[0].choices"),
        ([question("A", n=1)], "questions[0].choices"),
        ([], "questions"),
        ([question("A"), {**question("B"), "text": ""}], "questions[1].text"),
        ([question("A"), {**question("B"), "kind": "essay"}], "questions[1].kind"),
    ],
)
def test_invalid_questions_are_refused_with_the_path_of_the_problem(client, module, questions, path):
    before = Quiz.objects.count()
    r = client.post(f"/api/modules/{module.pk}/quizzes/", quiz_body(questions=questions), format="json")
    assert r.status_code == 400
    assert path in r.json(), r.json()
    assert Quiz.objects.count() == before


def test_nested_type_errors_are_flattened_to_paths(client, module):
    body = quiz_body()
    body["questions"][1]["choices"][2] = {"is_correct": True}
    r = client.post(f"/api/modules/{module.pk}/quizzes/", body, format="json")
    assert r.status_code == 400 and "questions[1].choices[2].text" in r.json(), r.json()


@pytest.mark.parametrize(
    ("field", "value"), [("pass_percent", 101), ("pass_percent", -1), ("max_attempts", 0), ("title", "")]
)
def test_quiz_fields_are_validated(client, module, field, value):
    r = client.post(f"/api/modules/{module.pk}/quizzes/", quiz_body(**{field: value}), format="json")
    assert r.status_code == 400 and field in r.json()


def test_patch_replaces_questions_by_position(client, module):
    quiz = Quiz.objects.get(
        pk=client.post(f"/api/modules/{module.pk}/quizzes/", quiz_body(), format="json").json()["id"]
    )
    first, second = quiz.questions.order_by("position")
    first_choices = list(first.choices.order_by("position").values_list("pk", flat=True))

    body = {"questions": [question("One, reworded?", correct=(1,), n=2)], "pass_percent": 80, "course": "x", "id": 1}
    r = client.patch(f"/api/quizzes/{quiz.pk}/", body, format="json")
    assert r.status_code == 200, r.json()
    data = r.json()
    assert data["pass_percent"] == 80 and data["id"] == quiz.pk
    assert [q["id"] for q in data["questions"]] == [first.pk]  # updated in place; the second is gone
    assert data["questions"][0]["text"] == "One, reworded?"
    assert [c["id"] for c in data["questions"][0]["choices"]] == first_choices[:2]  # the third choice deleted
    assert [c["is_correct"] for c in data["questions"][0]["choices"]] == [False, True]
    assert not Question.objects.filter(pk=second.pk).exists()

    r = client.patch(f"/api/quizzes/{quiz.pk}/", {"questions": [question("A", correct=())]}, format="json")
    assert r.status_code == 400 and "questions[0].choices" in r.json()
    assert Question.objects.get(pk=first.pk).text == "One, reworded?"  # nothing applied

    r = client.patch(f"/api/quizzes/{quiz.pk}/", {"title": "Just the title"}, format="json")
    assert r.status_code == 200 and len(r.json()["questions"]) == 1


def test_editing_a_quiz_keeps_attempts_and_progress_version(client, module, learner):
    quiz = Quiz.objects.filter(module=module).first()
    EnrollmentFactory(learner=learner, course=module.course)
    attempt = QuizAttemptFactory(quiz=quiz, learner=learner)
    version = Course.objects.get(pk=module.course_id).content_version
    r = client.patch(f"/api/quizzes/{quiz.pk}/", {"title": "Renamed", "max_attempts": 5}, format="json")
    assert r.status_code == 200
    assert Course.objects.get(pk=module.course_id).content_version == version
    attempt.refresh_from_db()
    assert attempt.passed


def test_move_and_delete_keep_positions_unique(client, course, module):
    ids = [
        client.post(f"/api/modules/{module.pk}/quizzes/", quiz_body(title=f"Q{i}"), format="json").json()["id"]
        for i in range(3)
    ]

    def order():
        return list(Quiz.objects.filter(module=module).order_by("position").values_list("pk", "position"))

    original = Quiz.objects.filter(module=module).exclude(pk__in=ids).get().pk
    assert order() == [(original, 1), (ids[0], 2), (ids[1], 3), (ids[2], 4)]
    assert client.post(f"/api/quizzes/{ids[2]}/move/", {"position": 1}).json()["position"] == 1
    assert order() == [(ids[2], 1), (original, 2), (ids[0], 3), (ids[1], 4)]
    assert client.delete(f"/api/quizzes/{original}/").status_code == 204
    assert order() == [(ids[2], 1), (ids[0], 2), (ids[1], 3)]

    target = course.modules.order_by("position").last()
    r = client.post(f"/api/quizzes/{ids[0]}/move/", {"module": target.pk, "position": 1})
    assert r.status_code == 200 and r.json()["module"] == target.pk
    assert order() == [(ids[2], 1), (ids[1], 2)]
    assert [p for _, p in Quiz.objects.filter(module=target).order_by("position").values_list("pk", "position")] == [
        1,
        2,
    ]


def test_authors_see_answers_learners_cannot_write(client, course, module, learner):
    quiz = Quiz.objects.filter(module=module).first()
    EnrollmentFactory(learner=learner, course=course)
    for user in (learner, InstructorFactory()):
        other = client_for(user)
        assert other.patch(f"/api/quizzes/{quiz.pk}/", {"title": "X"}).status_code == 403
        assert other.delete(f"/api/quizzes/{quiz.pk}/").status_code == 403
        assert other.post(f"/api/quizzes/{quiz.pk}/move/", {"position": 3}).status_code == 403
        assert other.post(f"/api/modules/{module.pk}/quizzes/", quiz_body(), format="json").status_code == 403
    assert Quiz.objects.get(pk=quiz.pk).title == quiz.title
    r = client.patch(f"/api/quizzes/{quiz.pk}/", {}, format="json")
    assert r.status_code == 200
    assert all("is_correct" in c and "explanation" in c for q in r.json()["questions"] for c in q["choices"])
