"""Taking quizzes through the HTTP API: what learners see, grading, attempts, reveal, validation,
time limits and shuffling."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from quizzes.models import AttemptAnswer, Question, Quiz, QuizAttempt
from tests.conftest import client_for
from tests.factories import (
    AdminFactory,
    ChoiceFactory,
    EnrollmentFactory,
    InstructorFactory,
    QuestionFactory,
    UserFactory,
    build_course,
    publish_draft,
    right_answers,
)

pytestmark = pytest.mark.django_db


def keys_in(value):
    """Every (key, value) pair anywhere in a JSON document."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from keys_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from keys_in(item)


def assert_no_answer_key(body) -> None:
    """Nothing in ``body`` says which choices are right (``is_correct`` absent or null)."""
    for key, value in keys_in(body):
        if key == "is_correct":
            assert value is None, body


class Taking:
    """One enrolled learner and one quiz: a single-choice question (choice 1 of 3 right) and a
    multiple-choice question (choices 1 and 2 of 3 right)."""

    def __init__(self, **quiz_fields):
        self.course = build_course(modules=1, lessons_per_module=1)
        self.quiz = Quiz.objects.get(course=self.course)
        if quiz_fields:
            Quiz.objects.filter(pk=self.quiz.pk).update(**quiz_fields)
            self.quiz.refresh_from_db()
        self.learner = UserFactory()
        self.enrollment = EnrollmentFactory(learner=self.learner, course=self.course)
        self.client = client_for(self.learner)
        self.single, self.multiple = self.quiz.questions.order_by("position")
        self.s = list(self.single.choices.order_by("position"))
        self.m = list(self.multiple.choices.order_by("position"))
        for choice in [*self.s, *self.m]:
            choice.explanation = f"explains {choice.pk}"
            choice.save()
        publish_draft(self.course)  # the instructor published these settings

    @property
    def url(self) -> str:
        return f"/api/quizzes/{self.quiz.pk}/"

    def submit(self, answers, client=None):
        return (client or self.client).post(f"{self.url}attempts/", {"answers": answers}, format="json")

    def submit_raw(self, raw: str):
        return self.client.generic("POST", f"{self.url}attempts/", raw, content_type="application/json")

    def answers(self, single=(), multiple=()):
        return [
            {"question": self.single.pk, "choices": [self.s[i].pk for i in single]},
            {"question": self.multiple.pk, "choices": [self.m[i].pk for i in multiple]},
        ]

    def right(self):
        return self.answers(single=[0], multiple=[0, 1])

    def wrong(self):
        return self.answers(single=[2], multiple=[2])


# --- What a learner sees --------------------------------------------------------------------------------
def test_quiz_detail_shape_for_a_learner():
    t = Taking()
    r = t.client.get(t.url)
    assert r.status_code == 200
    body = r.json()
    assert {"id", "title", "pass_percent", "max_attempts", "questions"} <= set(body)
    assert [q["id"] for q in body["questions"]] == [t.single.pk, t.multiple.pk]
    assert [q["kind"] for q in body["questions"]] == ["single", "multiple"]
    for question in body["questions"]:
        assert {"id", "text", "kind", "choices"} <= set(question)
        for choice in question["choices"]:
            assert set(choice) == {"id", "text"}
    assert "explains" not in r.content.decode()


def test_no_answer_key_in_any_learner_response_before_reveal():
    t = Taking(max_attempts=3)
    responses = [t.client.get(t.url)]
    start = t.client.post(f"{t.url}attempts/start/")
    assert start.status_code == 201
    responses.append(start)
    responses.append(t.client.get(t.url))
    submitted = t.submit(t.answers(single=[1], multiple=[0]))
    assert submitted.status_code == 201 and submitted.json()["passed"] is False
    assert submitted.json()["answers_revealed"] is False
    responses.append(submitted)
    responses.append(t.client.get(f"{t.url}attempts/"))
    responses.append(t.client.get(t.url))
    picked = {t.s[1].pk, t.m[0].pk}
    for response in responses:
        body = response.json()
        assert_no_answer_key(body)
        for key, value in keys_in(body):
            if key == "explanation" and value is not None:
                # Only explanations of the choices the learner picked.
                assert value in {f"explains {pk}" for pk in picked}, body
    # The detail and the start body carry no explanation key at all.
    for response in responses[:3]:
        assert "explanation" not in {key for key, _ in keys_in(response.json())}


def test_feedback_explains_only_selected_choices_before_reveal():
    t = Taking()
    body = t.submit(t.answers(single=[1], multiple=[0, 2])).json()
    feedback = {f["question"]: f for f in body["feedback"]}
    single = {c["id"]: c for c in feedback[t.single.pk]["choices"]}
    assert feedback[t.single.pk]["correct"] is False
    assert single[t.s[1].pk]["explanation"] == f"explains {t.s[1].pk}" and single[t.s[1].pk]["selected"] is True
    assert single[t.s[0].pk]["explanation"] is None and single[t.s[2].pk]["explanation"] is None
    multiple = {c["id"]: c for c in feedback[t.multiple.pk]["choices"]}
    assert multiple[t.m[1].pk]["explanation"] is None
    assert {multiple[t.m[0].pk]["explanation"], multiple[t.m[2].pk]["explanation"]} == {
        f"explains {t.m[0].pk}",
        f"explains {t.m[2].pk}",
    }
    assert_no_answer_key(body)


@pytest.mark.parametrize("who", ["instructor", "admin"])
def test_instructors_and_admins_see_is_correct(who):
    t = Taking()
    user = InstructorFactory() if who == "instructor" else AdminFactory()
    if who == "instructor":
        t.course.instructors.add(user)
    r = client_for(user).get(t.url)
    assert r.status_code == 200
    flags = {c["id"]: c["is_correct"] for q in r.json()["questions"] for c in q["choices"]}
    assert flags == {c.pk: c.is_correct for c in [*t.s, *t.m]}
    assert flags[t.s[0].pk] is True and flags[t.s[1].pk] is False


def test_another_instructor_is_a_learner_here():
    t = Taking()
    outsider = InstructorFactory()
    assert client_for(outsider).get(t.url).status_code == 403
    EnrollmentFactory(learner=outsider, course=t.course)
    assert_no_answer_key(client_for(outsider).get(t.url).json())
    assert "is_correct" not in client_for(outsider).get(t.url).content.decode()


def test_quiz_access_rules():
    t = Taking()
    assert APIClient().get(t.url).status_code == 401
    stranger = client_for(UserFactory())
    assert stranger.get(t.url).status_code == 403
    assert t.submit(t.right(), client=stranger).status_code == 403
    assert stranger.get(f"{t.url}attempts/").status_code == 403
    assert stranger.post(f"{t.url}attempts/start/").status_code == 403
    assert client_for(UserFactory()).get("/api/quizzes/999999/").status_code == 404
    t.course.is_published = False
    t.course.save()
    assert t.client.get(t.url).status_code == 404
    assert t.submit(t.right()).status_code == 404
    assert not QuizAttempt.objects.exists()


def test_dropped_learner_cannot_submit():
    t = Taking()
    t.enrollment.status = "dropped"
    t.enrollment.save()
    assert t.submit(t.right()).status_code == 403
    assert t.client.get(t.url).status_code == 403


def test_staff_preview_cannot_submit_without_enrolling():
    t = Taking()
    teacher = InstructorFactory()
    t.course.instructors.add(teacher)
    assert t.submit(t.right(), client=client_for(teacher)).status_code == 403


# --- Grading -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "single, multiple, score",
    [
        ([0], [0, 1], 100.0),
        ([0], [0], 50.0),
        ([0], [0, 1, 2], 50.0),
        ([1], [0, 1], 50.0),
        ([], [], 0.0),
        ([2], [2], 0.0),
    ],
)
def test_all_or_nothing_grading(single, multiple, score):
    t = Taking(pass_percent=70)
    r = t.submit(t.answers(single=single, multiple=multiple))
    assert r.status_code == 201, r.json()
    body = r.json()
    assert {"id", "score", "passed"} <= set(body)
    assert body["score"] == score
    assert body["passed"] is (score >= 70)
    attempt = QuizAttempt.objects.get(pk=body["id"])
    assert float(attempt.score) == score and attempt.status == "submitted"


@pytest.mark.parametrize(
    "single, multiple, score",
    [
        ([0], [0, 1], 100.0),
        ([0], [0], 75.0),  # one of two right choices: half credit
        ([0], [1], 75.0),
        ([0], [0, 1, 2], 75.0),  # two right minus one wrong, over two
        ([0], [0, 2], 50.0),  # one right minus one wrong: nothing
        ([0], [2], 50.0),
        ([1], [0], 25.0),  # single-choice questions get no partial credit
        ([], [], 0.0),
    ],
)
def test_partial_grading(single, multiple, score):
    t = Taking(scoring="partial", pass_percent=75)
    body = t.submit(t.answers(single=single, multiple=multiple)).json()
    assert body["score"] == score
    assert body["passed"] is (score >= 75)


def test_unanswered_questions_count_as_wrong():
    t = Taking()
    body = t.submit([{"question": t.single.pk, "choices": [t.s[0].pk]}]).json()
    assert body["score"] == 50.0
    blank = t.submit([{"question": t.single.pk, "choices": []}]).json()
    assert blank["score"] == 0.0 and blank["passed"] is False


def test_a_submission_answering_no_question_is_a_400_and_uses_no_attempt():
    t = Taking(max_attempts=1)
    r = t.submit([])
    assert r.status_code == 400
    assert "answers" in r.json()
    assert t.client.get(t.url).json()["attempts_left"] == 1
    assert t.submit([{"question": t.single.pk, "choices": [t.s[0].pk]}]).status_code == 201


def test_pass_percent_boundary():
    t = Taking(pass_percent=50, max_attempts=3)
    submitted = t.submit(t.answers(single=[0], multiple=[2])).json()
    assert (submitted["score"], submitted["passed"]) == (50.0, True)  # exactly pass_percent passes
    # The attempts list tells the same story as the submit answer.
    assert t.client.get(f"{t.url}attempts/").json()["results"] == [submitted]
    t2 = Taking(pass_percent=51)
    assert t2.submit(t2.answers(single=[0], multiple=[2])).json()["passed"] is False


def test_graded_answers_are_stored_per_question():
    t = Taking()
    body = t.submit(t.answers(single=[0], multiple=[0])).json()
    rows = {a.question_id: a for a in AttemptAnswer.objects.filter(attempt_id=body["id"])}
    assert rows[t.single.pk].is_correct is True and rows[t.single.pk].choices == [t.s[0].pk]
    assert rows[t.multiple.pk].is_correct is False


# --- Attempts, best score, reveal ------------------------------------------------------------------------
def test_max_attempts_is_409():
    t = Taking(max_attempts=2)
    assert t.submit(t.wrong()).status_code == 201
    assert t.submit(t.wrong()).status_code == 201
    r = t.submit(t.right())
    assert r.status_code == 409
    assert "detail" in r.json()
    assert t.client.post(f"{t.url}attempts/start/").status_code == 409
    assert QuizAttempt.objects.filter(learner=t.learner).count() == 2
    assert t.client.get(t.url).json()["attempts_left"] == 0


def test_attempts_after_a_pass_are_allowed_and_the_best_counts(django_capture_on_commit_callbacks):
    t = Taking(max_attempts=3, pass_percent=50)
    with django_capture_on_commit_callbacks(execute=True):
        first = t.submit(t.right())
    assert first.json()["passed"] is True and first.json()["score"] == 100.0
    with django_capture_on_commit_callbacks(execute=True):
        second = t.submit(t.wrong())
    assert second.status_code == 201 and second.json()["passed"] is False
    progress = t.client.get(f"/api/courses/{t.course.slug}/progress/").json()
    (quiz,) = progress["quizzes"]
    assert quiz["best_score"] == 100.0 and quiz["passed"] is True and quiz["attempts"] == 2
    assert progress["passed_quizzes"] == 1
    detail = t.client.get(t.url).json()
    assert detail["passed"] is True and detail["best_score"] == 100.0 and detail["attempts_left"] == 1
    outline = t.client.get(f"/api/courses/{t.course.slug}/").json()
    assert outline["modules"][0]["quizzes"][0]["passed"] is True
    assert t.submit(t.right()).status_code == 201
    assert t.submit(t.right()).status_code == 409


def test_best_score_is_the_maximum_not_the_latest():
    t = Taking(max_attempts=3, pass_percent=90)
    t.submit(t.answers(single=[0], multiple=[0]))  # 50
    t.submit(t.right())  # 100
    t.submit(t.wrong())  # 0
    assert t.client.get(t.url).json()["best_score"] == 100.0
    enrollment_progress = t.client.get(f"/api/courses/{t.course.slug}/progress/").json()
    assert enrollment_progress["quizzes"][0]["best_score"] == 100.0


def test_answers_revealed_after_a_pass():
    t = Taking(max_attempts=3)
    body = t.submit(t.right()).json()
    assert body["answers_revealed"] is True
    flags = {c["id"]: c["is_correct"] for f in body["feedback"] for c in f["choices"]}
    assert flags == {c.pk: c.is_correct for c in [*t.s, *t.m]}
    assert all(c["explanation"] for f in body["feedback"] for c in f["choices"])
    # The attempts list reveals too (for every attempt) from now on.
    listed = t.client.get(f"{t.url}attempts/").json()["results"]
    assert all(a["answers_revealed"] for a in listed)


def test_answers_revealed_on_the_last_attempt_only():
    t = Taking(max_attempts=2)
    first = t.submit(t.wrong()).json()
    assert first["answers_revealed"] is False
    assert_no_answer_key(first)
    last = t.submit(t.wrong()).json()
    assert last["answers_revealed"] is True
    assert {c["id"]: c["is_correct"] for f in last["feedback"] for c in f["choices"]}[t.s[0].pk] is True


def test_answers_never_revealed_when_the_quiz_says_never():
    t = Taking(max_attempts=2, reveal_answers="never")
    for answers in (t.right(), t.wrong()):
        body = t.submit(answers).json()
        assert body["answers_revealed"] is False
        assert_no_answer_key(body)
    listed = t.client.get(f"{t.url}attempts/").json()
    assert_no_answer_key(listed)
    assert_no_answer_key(t.client.get(t.url).json())
    explained = {c["explanation"] for a in listed["results"] for f in a["feedback"] for c in f["choices"]}
    picked = {t.s[0].pk, t.m[0].pk, t.m[1].pk, t.s[2].pk, t.m[2].pk}
    assert explained - {None} <= {f"explains {pk}" for pk in picked}


def test_attempts_list_holds_only_the_callers_attempts():
    t = Taking()
    other = UserFactory()
    EnrollmentFactory(learner=other, course=t.course)
    other_client = client_for(other)
    t.submit(t.wrong(), client=other_client)
    t.submit(t.right(), client=other_client)
    mine = t.submit(t.wrong()).json()
    r = t.client.get(f"{t.url}attempts/")
    assert r.status_code == 200
    body = r.json()
    results = body["results"] if isinstance(body, dict) else body
    assert [a["id"] for a in results] == [mine["id"]]
    assert results[0]["number"] == 1
    # The other learner's pass reveals nothing to this learner.
    assert_no_answer_key(body)


# --- Validation ------------------------------------------------------------------------------------------
def _foreign_question(t):
    other = build_course(modules=1)
    return Quiz.objects.get(course=other).questions.first()


@pytest.mark.parametrize(
    "make, field_part",
    [
        # question outside the quiz
        (lambda t: [{"question": _foreign_question(t).pk, "choices": []}], "answers[0].question"),
        # choice from another question of the same quiz
        (lambda t: [{"question": t.single.pk, "choices": [t.m[0].pk]}], "answers[0].choices"),
        # choice from another quiz
        (
            lambda t: [{"question": t.single.pk, "choices": [_foreign_question(t).choices.first().pk]}],
            "answers[0].choices",
        ),
        # two choices on a single-choice question
        (lambda t: [{"question": t.single.pk, "choices": [t.s[0].pk, t.s[1].pk]}], "answers[0].choices"),
        # the same question twice
        (
            lambda t: [
                {"question": t.multiple.pk, "choices": [t.m[0].pk]},
                {"question": t.multiple.pk, "choices": [t.m[1].pk]},
            ],
            "answers[1].question",
        ),
        # the same choice twice
        (lambda t: [{"question": t.multiple.pk, "choices": [t.m[0].pk, t.m[0].pk]}], "answers[0].choices"),
    ],
)
def test_answers_that_do_not_fit_the_quiz_are_400_naming_which(make, field_part):
    t = Taking()
    r = t.submit(make(t))
    assert r.status_code == 400, r.json()
    assert field_part in r.json(), r.json()
    assert not QuizAttempt.objects.filter(learner=t.learner).exists()


@pytest.mark.parametrize(
    "raw, named",
    [
        ('{"answers": [{"question": "abc", "choices": []}]}', "answers"),
        ('{"answers": [{"question": 1, "choices": "abc"}]}', "answers"),
        ('{"answers": [{"question": 1, "choices": ["abc"]}]}', "answers"),
        ('{"answers": [{"question": null, "choices": []}]}', "answers"),
        ('{"answers": [{"question": 1, "choices": null}]}', "answers"),
        ('{"answers": [{"question": 1, "choices": [null]}]}', "answers"),
        ('{"answers": [{"question": {"id": 1}, "choices": []}]}', "answers"),
        ('{"answers": [{"question": 1, "choices": [{"id": 1}]}]}', "answers"),
        ('{"answers": [{"question": 1, "choices": [[1]]}]}', "answers"),
        ('{"answers": [{"question": 1, "choices": {"a": 1}}]}', "answers"),
        ('{"answers": [{"question": 1.5, "choices": []}]}', "answers"),
        ('{"answers": [{"question": true, "choices": [false]}]}', "answers"),
        ('{"answers": [{"choices": []}]}', "answers"),
        ('{"answers": [{"question": 1}]}', "answers"),
        ('{"answers": [{}]}', "answers"),
        ('{"answers": [1, 2]}', "answers"),
        ('{"answers": [null]}', "answers"),
        ('{"answers": ["x"]}', "answers"),
        ('{"answers": {"question": 1, "choices": []}}', "answers"),
        ('{"answers": "all of them"}', "answers"),
        ('{"answers": null}', "answers"),
        ('{"answers": 7}', "answers"),
        ("{}", "answers"),
        ('{"answers": [{"question": 99999999999999999999999999, "choices": []}]}', "answers"),
        ('{"answers": [{"question": 1, "choices": [99999999999999999999999999]}]}', "answers"),
        ('{"answers": [{"question": 1e400, "choices": []}]}', "answers"),
        ('{"answers": [{"question": -1, "choices": [0]}]}', "answers"),
        ("[]", None),
        ("[{}]", None),
        ("null", None),
        ("42", None),
        ('"answers"', None),
        ("{broken", None),
        ('{"answers": [{"question": NaN, "choices": []}]}', None),
    ],
)
def test_wrongly_typed_answers_are_400_never_500(raw, named):
    t = Taking()
    r = t.submit_raw(raw)
    assert r.status_code == 400, r.content
    body = r.json()
    assert isinstance(body, dict)
    if named:
        assert named in body, body
    assert not QuizAttempt.objects.filter(learner=t.learner).exists()


def test_wrong_types_with_real_ids_name_the_bad_item():
    t = Taking()
    raw = json.dumps({"answers": [{"question": t.single.pk, "choices": [t.s[0].pk]}, {"question": t.multiple.pk}]})
    body = t.submit_raw(raw).json()
    # Only the second answer is named, and only its missing field.
    assert body == {"answers": {"1": {"choices": ["This field is required."]}}}


def test_too_many_answers_are_400():
    t = Taking()
    answers = [{"question": t.single.pk, "choices": []}] * 1001
    r = t.submit(answers)
    assert r.status_code == 400


# --- Time limit ----------------------------------------------------------------------------------------
def test_start_sets_a_deadline_and_is_idempotent():
    t = Taking(time_limit_minutes=10)
    before = timezone.now()
    r = t.client.post(f"{t.url}attempts/start/")
    assert r.status_code == 201
    body = r.json()
    assert body["status"] == "in_progress" and body["feedback"] is None and body["score"] is None
    attempt = QuizAttempt.objects.get(pk=body["id"])
    assert before + timedelta(minutes=10) <= attempt.deadline <= timezone.now() + timedelta(minutes=10)
    again = t.client.post(f"{t.url}attempts/start/")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert t.client.get(t.url).json()["open_attempt"] == body["id"]
    # Submitting in time submits the started attempt.
    done = t.submit(t.right())
    assert done.status_code == 201 and done.json()["id"] == body["id"] and done.json()["score"] == 100.0
    assert QuizAttempt.objects.filter(learner=t.learner).count() == 1


def test_submit_after_the_deadline_is_409_and_closes_the_attempt_with_score_0():
    t = Taking(time_limit_minutes=5, max_attempts=2)
    started = t.client.post(f"{t.url}attempts/start/").json()
    QuizAttempt.objects.filter(pk=started["id"]).update(deadline=timezone.now() - timedelta(seconds=1))
    r = t.submit(t.right())
    assert r.status_code == 409
    assert "detail" in r.json()
    attempt = QuizAttempt.objects.get(pk=started["id"])
    assert attempt.status == "submitted" and attempt.score == 0 and attempt.passed is False
    listed = t.client.get(f"{t.url}attempts/").json()["results"]
    assert [(a["id"], a["score"], a["passed"]) for a in listed] == [(started["id"], 0.0, False)]
    assert t.client.get(f"/api/courses/{t.course.slug}/progress/").json()["passed_quizzes"] == 0
    # The closed attempt counts; a new one may be started.
    fresh = t.client.post(f"{t.url}attempts/start/")
    assert fresh.status_code == 201 and fresh.json()["id"] != started["id"]
    assert fresh.json()["number"] == 2


def test_start_after_the_time_ran_out_closes_the_expired_attempt_and_opens_the_next():
    t = Taking(time_limit_minutes=5, max_attempts=2)
    first = t.client.post(f"{t.url}attempts/start/").json()
    QuizAttempt.objects.filter(pk=first["id"]).update(deadline=timezone.now() - timedelta(seconds=1))
    second = t.client.post(f"{t.url}attempts/start/")
    assert second.status_code == 201 and second.json()["number"] == 2
    closed = QuizAttempt.objects.get(pk=first["id"])
    assert (closed.status, closed.score, closed.passed) == ("submitted", 0, False)
    # With no attempt left, the expired one is still closed and the answer says why.
    QuizAttempt.objects.filter(pk=second.json()["id"]).update(deadline=timezone.now() - timedelta(seconds=1))
    third = t.client.post(f"{t.url}attempts/start/")
    assert third.status_code == 409 and third.json()["code"] == "max_attempts_reached"
    assert QuizAttempt.objects.get(pk=second.json()["id"]).status == "submitted"


def test_timed_quiz_cannot_be_submitted_without_starting():
    """Otherwise a client could read the questions and submit whenever it likes: no time limit at all."""
    t = Taking(time_limit_minutes=5)
    r = t.submit(t.right())
    assert r.status_code == 409
    assert "start" in r.json()["detail"]
    assert not QuizAttempt.objects.filter(learner=t.learner).exists()


def test_deeply_nested_answers_are_400_not_500():
    t = Taking()
    r = t.submit_raw('{"answers": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert r.status_code == 400
    assert not QuizAttempt.objects.exists()


def test_untimed_quiz_has_no_deadline():
    t = Taking()
    assert t.client.post(f"{t.url}attempts/start/").json()["deadline"] is None


# --- Shuffling -------------------------------------------------------------------------------------------
def _shuffled_quiz(questions: int = 6) -> Taking:
    t = Taking(shuffle=True, max_attempts=5)
    for n in range(3, questions + 1):
        question = QuestionFactory(quiz=t.quiz, position=n, kind=Question.Kind.SINGLE)
        for c in range(1, 5):
            ChoiceFactory(question=question, position=c, is_correct=(c == 1))
    return t


def _order(body) -> tuple:
    return tuple((q["id"], tuple(c["id"] for c in q["choices"])) for q in body["questions"])


def test_shuffled_order_is_stable_between_get_and_start_within_an_attempt():
    t = _shuffled_quiz()
    seen = _order(t.client.get(t.url).json())
    assert _order(t.client.get(t.url).json()) == seen
    started = t.client.post(f"{t.url}attempts/start/").json()
    assert _order(started) == seen
    assert _order(t.client.get(t.url).json()) == seen
    assert _order(t.client.post(f"{t.url}attempts/start/").json()) == seen
    # Every question and choice is still there, just reordered.
    assert sorted(q for q, _ in seen) == sorted(t.quiz.questions.values_list("pk", flat=True))
    assert_no_answer_key(started)


def test_different_learners_get_different_orders():
    t = _shuffled_quiz()
    orders = {_order(t.client.get(t.url).json())}
    for _ in range(5):
        learner = UserFactory()
        EnrollmentFactory(learner=learner, course=t.course)
        orders.add(_order(client_for(learner).get(t.url).json()))
    assert len(orders) >= 2


def test_unshuffled_quiz_keeps_authored_order():
    t = _shuffled_quiz()
    Quiz.objects.filter(pk=t.quiz.pk).update(shuffle=False)
    publish_draft(t.course)
    body = t.client.get(t.url).json()
    assert [q["id"] for q in body["questions"]] == list(
        t.quiz.questions.order_by("position").values_list("pk", flat=True)
    )


def test_shuffled_quiz_grades_by_id_not_by_position():
    t = _shuffled_quiz()
    t.client.post(f"{t.url}attempts/start/")
    body = t.submit(right_answers(t.quiz)).json()
    assert body["score"] == 100.0 and body["passed"] is True
