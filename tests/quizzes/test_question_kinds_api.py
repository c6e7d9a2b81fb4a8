"""The six question kinds end to end through the API: an instructor writes a quiz of every kind with
points, a learner sees each without its key, answers in each kind's shape, is graded by points (all or
nothing, or partial), and sees the key only once the reveal policy allows; shuffles are per attempt
and stable; draws are fixed when the attempt starts; authoring errors name their path."""

from decimal import Decimal

import pytest

from quizzes.models import AttemptAnswer, Question, Quiz, QuizAttempt
from tests.conftest import client_for
from tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db


def six_kinds() -> list[dict]:
    return [
        {
            "text": "Pick the seller's first step.",
            "kind": "single",
            "points": 1,
            "choices": [{"text": "Listen", "is_correct": True}, {"text": "Pitch"}, {"text": "Discount"}],
        },
        {
            "text": "Which are signals of selling out?",
            "kind": "multiple",
            "points": 2,
            "choices": [
                {"text": "Pressure", "is_correct": True},
                {"text": "Fake urgency", "is_correct": True},
                {"text": "Curiosity"},
                {"text": "Patience"},
            ],
        },
        {"text": "Half of seven?", "kind": "numeric", "points": 1, "answer": 3.5, "tolerance": 0.01},
        {"text": "Capital of France?", "kind": "text", "points": 1, "accepted": ["Paris"]},
        {
            "text": "Order the conversation.",
            "kind": "ordering",
            "points": 3,
            "items": [{"text": "Open"}, {"text": "Discover"}, {"text": "Propose"}, {"text": "Close"}],
        },
        {
            "text": "Match the move to its intent.",
            "kind": "matching",
            "points": 2,
            "pairs": [
                {"prompt": "Ask", "option": "Understand"},
                {"prompt": "Summarise", "option": "Confirm"},
            ],
            "distractors": ["Persuade"],
        },
    ]


@pytest.fixture
def module(course):
    return course.modules.order_by("position").first()


def create(instructor, module, **fields) -> dict:
    body = {"title": "Every kind", "pass_percent": 60, "max_attempts": 3, "questions": six_kinds(), **fields}
    author = client_for(instructor)
    r = author.post(f"/api/modules/{module.pk}/quizzes/", body, format="json")
    assert r.status_code == 201, r.json()
    published = author.post(f"/api/courses/{module.course.slug}/publish/", {}, format="json")
    assert published.status_code == 200, published.json()  # learners read it from the published version
    return r.json()


@pytest.fixture
def enrolled(learner, course):
    EnrollmentFactory(learner=learner, course=course)
    return client_for(learner)


def by_kind(questions: list[dict]) -> dict[str, dict]:
    return {q["kind"]: q for q in questions}


def right_answers(authored: dict) -> list[dict]:
    """The full key, in the attempt-answer shapes, from the author's view."""
    answers = []
    for q in authored["questions"]:
        if q["kind"] in ("single", "multiple"):
            answers.append({"question": q["id"], "choices": [c["id"] for c in q["choices"] if c["is_correct"]]})
        elif q["kind"] == "numeric":
            answers.append({"question": q["id"], "value": "3,5"})
        elif q["kind"] == "text":
            answers.append({"question": q["id"], "value": "  PARIS "})
        elif q["kind"] == "ordering":
            answers.append({"question": q["id"], "order": [item["id"] for item in q["items"]]})
        else:
            pairs = [{"prompt": p["id"], "option": p["option"]} for p in q["prompts"]]
            answers.append({"question": q["id"], "pairs": pairs})
    return answers


KEY_FIELDS = {"is_correct", "answer", "tolerance", "accepted", "pairs", "distractors", "option", "explanation"}


def walk_keys(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k, v
            yield from walk_keys(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk_keys(v)


def test_authors_write_and_read_every_kind(instructor, module):
    data = create(instructor, module)
    assert data["shuffle"] is True  # new quizzes shuffle by default
    q = by_kind(data["questions"])
    assert q["numeric"]["answer"] == 3.5 and q["numeric"]["tolerance"] == 0.01
    assert q["text"]["accepted"] == ["Paris"]
    assert [i["text"] for i in q["ordering"]["items"]] == ["Open", "Discover", "Propose", "Close"]
    assert q["matching"]["pairs"] == [
        {"prompt": "Ask", "option": "Understand"},
        {"prompt": "Summarise", "option": "Confirm"},
    ]
    assert q["matching"]["distractors"] == ["Persuade"]
    assert [x["points"] for x in data["questions"]] == [1, 2, 1, 1, 3, 2]
    quiz = Quiz.objects.get(pk=data["id"])
    assert set(quiz.questions.values_list("kind", flat=True)) == set(Question.Kind.values)


def test_a_learner_sees_every_kind_without_its_key(instructor, module, enrolled):
    data = create(instructor, module)
    shown = enrolled.get(f"/api/quizzes/{data['id']}/").json()
    q = by_kind(shown["questions"])
    assert set(q) == set(Question.Kind.values)
    assert set(q["numeric"]) == {"id", "text", "kind", "position", "points"}
    assert set(q["text"]) == {"id", "text", "kind", "position", "points"}
    assert {i["text"] for i in q["ordering"]["items"]} == {"Open", "Discover", "Propose", "Close"}
    assert [i["text"] for i in q["ordering"]["items"]] != ["Open", "Discover", "Propose", "Close"]
    assert {p["text"] for p in q["matching"]["prompts"]} == {"Ask", "Summarise"}
    assert {o["text"] for o in q["matching"]["options"]} == {"Understand", "Confirm", "Persuade"}
    leaked = [k for k, _ in walk_keys(shown["questions"]) if k in KEY_FIELDS]
    assert leaked == []


def test_the_full_key_scores_100_and_reveals_the_key(instructor, module, enrolled):
    data = create(instructor, module)
    r = enrolled.post(f"/api/quizzes/{data['id']}/attempts/", {"answers": right_answers(data)}, format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["score"] == 100 and body["passed"] is True
    assert [(x["points_awarded"], x["points_possible"]) for x in body["results"]] == [
        (1, 1),
        (2, 2),
        (1, 1),
        (1, 1),
        (3, 3),
        (2, 2),
    ]
    assert all(x["correct"] for x in body["results"]) and body["answers_revealed"]
    keys = {x["kind"]: x["key"] for x in body["results"]}
    assert keys["numeric"] == {"answer": 3.5, "tolerance": 0.01}
    assert keys["text"] == {"accepted": ["Paris"]}
    assert [i["text"] for i in keys["ordering"]["items"]] == ["Open", "Discover", "Propose", "Close"]
    rows = AttemptAnswer.objects.filter(attempt_id=body["id"])
    assert sorted(float(r.points_awarded) for r in rows) == [1, 1, 1, 2, 2, 3]


def test_points_and_partial_credit(instructor, module, enrolled):
    data = create(instructor, module, scoring="partial", pass_percent=90)
    q = by_kind(data["questions"])
    right = {a["question"]: a for a in right_answers(data)}
    items = [i["id"] for i in q["ordering"]["items"]]
    pressure, urgency, curiosity, _ = (c["id"] for c in q["multiple"]["choices"])
    answers = [
        right[q["single"]["id"]],  # 1 of 1
        {"question": q["multiple"]["id"], "choices": [pressure, urgency, curiosity]},  # (2-1)/2 → 1 of 2
        {"question": q["numeric"]["id"], "value": "3.6"},  # outside the tolerance: 0 of 1
        {"question": q["text"]["id"], "value": "paris"},  # 1 of 1
        {"question": q["ordering"]["id"], "order": [items[1], items[2], items[3], items[0]]},  # 2/3 → 2 of 3
        {"question": q["matching"]["id"], "pairs": [right[q["matching"]["id"]]["pairs"][0]]},  # 1/2 → 1 of 2
    ]
    body = enrolled.post(f"/api/quizzes/{data['id']}/attempts/", {"answers": answers}, format="json").json()
    awarded = [x["points_awarded"] for x in body["results"]]
    assert awarded == [1, 1, 0, 1, 2, 1]
    assert body["score"] == pytest.approx(60.0)  # 6 of 10 points
    assert body["passed"] is False and body["answers_revealed"] is False
    assert all(x["key"] is None for x in body["results"])
    assert [k for k, _ in walk_keys(body) if k in {"is_correct"} and _ is not None] == []


def test_all_or_nothing_gives_no_partial_credit(instructor, module, enrolled):
    data = create(instructor, module, scoring="all_or_nothing")
    q = by_kind(data["questions"])
    items = [i["id"] for i in q["ordering"]["items"]]
    answers = [{"question": q["ordering"]["id"], "order": [items[1], items[2], items[3], items[0]]}]
    body = enrolled.post(f"/api/quizzes/{data['id']}/attempts/", {"answers": answers}, format="json").json()
    assert body["score"] == 0 and all(x["points_awarded"] == 0 for x in body["results"])


@pytest.mark.parametrize("value", ["three and a half", "1,000.5", "", "NaN"])
def test_a_non_number_is_a_400_naming_the_question(instructor, module, enrolled, value):
    data = create(instructor, module)
    numeric = by_kind(data["questions"])["numeric"]["id"]
    r = enrolled.post(
        f"/api/quizzes/{data['id']}/attempts/", {"answers": [{"question": numeric, "value": value}]}, format="json"
    )
    assert r.status_code == 400
    body = r.json()
    assert str(numeric) in str(body) and "answers[0].value" in str(body)
    assert not QuizAttempt.objects.exists()


@pytest.mark.parametrize(
    ("answer", "field"),
    [
        ({"order": []}, "order"),
        ({"pairs": [{"prompt": 1, "option": 1}]}, "order"),
        ({"order": [1, 2, 3, 4]}, "order"),
        ({"choices": [1]}, "order"),
    ],
)
def test_answers_that_do_not_fit_their_kind_are_400(instructor, module, enrolled, answer, field):
    data = create(instructor, module)
    ordering = by_kind(data["questions"])["ordering"]["id"]
    r = enrolled.post(
        f"/api/quizzes/{data['id']}/attempts/", {"answers": [{"question": ordering, **answer}]}, format="json"
    )
    assert r.status_code == 400 and f"answers[0].{field}" in str(r.json()), r.json()


@pytest.mark.parametrize(
    ("question", "path"),
    [
        ({"text": "N?", "kind": "numeric"}, "questions[0].answer"),
        ({"text": "N?", "kind": "numeric", "answer": 1, "tolerance": -1}, "questions[0].tolerance"),
        ({"text": "N?", "kind": "numeric", "answer": "lots"}, "questions[0].answer"),
        ({"text": "T?", "kind": "text", "accepted": []}, "questions[0].accepted"),
        ({"text": "T?", "kind": "text", "accepted": ["  "]}, "questions[0].accepted[0]"),
        ({"text": "O?", "kind": "ordering", "items": [{"text": "only"}]}, "questions[0].items"),
        ({"text": "O?", "kind": "ordering", "items": [{"text": "a"}, {"text": "A"}]}, "questions[0].items"),
        ({"text": "M?", "kind": "matching", "pairs": [{"prompt": "a", "option": "b"}]}, "questions[0].pairs"),
        (
            {
                "text": "M?",
                "kind": "matching",
                "pairs": [{"prompt": "a", "option": "b"}, {"prompt": "c", "option": "d"}],
                "distractors": ["b"],
            },
            "questions[0].distractors[0]",
        ),
        ({"text": "M?", "kind": "matching", "pairs": [{"prompt": "a"}, {}]}, "questions[0].pairs[0].option"),
        ({"text": "P?", "kind": "single", "points": 0, "choices": []}, "questions[0].points"),
        ({"text": "K?", "kind": "essay"}, "questions[0].kind"),
    ],
)
def test_authoring_errors_name_their_path(instructor, module, question, path):
    body = {"title": "Bad", "questions": [question]}
    r = client_for(instructor).post(f"/api/modules/{module.pk}/quizzes/", body, format="json")
    assert r.status_code == 400, r.json()
    assert path in r.json(), r.json()


def test_shuffle_is_per_attempt_and_stable_on_reload(instructor, module, enrolled, learner):
    data = create(instructor, module, max_attempts=10)
    url = f"/api/quizzes/{data['id']}/"
    first = enrolled.get(url).json()["questions"]
    assert enrolled.get(url).json()["questions"] == first  # stable on reload
    started = enrolled.post(f"{url}attempts/start/").json()
    assert started["questions"] == first  # the start shows the same attempt's order
    assert enrolled.get(url).json()["questions"] == first
    orders = set()
    for _ in range(6):
        attempt = enrolled.post(f"{url}attempts/start/").json()
        layout = tuple(
            (q["id"], tuple(c["id"] for c in q.get("choices", q.get("items", q.get("options", [])))))
            for q in attempt["questions"]
        )
        orders.add(layout)
        blank = next(  # answering nothing is a 400: close the attempt with one blank choice answer
            {"question": q["id"], "choices": []} for q in attempt["questions"] if q["kind"] in ("single", "multiple")
        )
        assert enrolled.post(f"{url}attempts/", {"answers": [blank]}, format="json").status_code == 201
    assert len(orders) > 1  # attempts differ


def test_unshuffled_quizzes_keep_authored_order_but_still_shuffle_items(instructor, module, enrolled):
    data = create(instructor, module, shuffle=False)
    shown = enrolled.get(f"/api/quizzes/{data['id']}/").json()["questions"]
    assert [q["id"] for q in shown] == [q["id"] for q in data["questions"]]
    assert [c["id"] for c in shown[0]["choices"]] == [c["id"] for c in data["questions"][0]["choices"]]
    items = by_kind(shown)["ordering"]["items"]
    assert [i["id"] for i in items] != [i["id"] for i in by_kind(data["questions"])["ordering"]["items"]]


def test_draw_is_fixed_when_the_attempt_starts(instructor, module, enrolled):
    data = create(instructor, module, draw=2)
    url = f"/api/quizzes/{data['id']}/"
    started = enrolled.post(f"{url}attempts/start/").json()
    drawn = [q["id"] for q in started["questions"]]
    assert len(drawn) == 2
    assert [q["id"] for q in enrolled.get(url).json()["questions"]] == drawn
    attempt = QuizAttempt.objects.get(pk=started["id"])
    assert sorted(attempt.question_ids) == sorted(drawn)
    other = next(q["id"] for q in data["questions"] if q["id"] not in drawn)
    r = enrolled.post(f"{url}attempts/", {"answers": [{"question": other, "choices": []}]}, format="json")
    assert r.status_code == 400 and "answers[0].question" in r.json()
    right = [a for a in right_answers(data) if a["question"] in drawn]
    body = enrolled.post(f"{url}attempts/", {"answers": right}, format="json").json()
    assert body["score"] == 100 and [x["question"] for x in body["results"]] == sorted(
        drawn, key=[q["id"] for q in data["questions"]].index
    )
    assert sum(x["points_possible"] for x in body["results"]) < 10


def test_draw_must_fit_the_questions(instructor, module):
    body = {"title": "Draw", "draw": 7, "questions": six_kinds()}
    r = client_for(instructor).post(f"/api/modules/{module.pk}/quizzes/", body, format="json")
    assert r.status_code == 400 and "draw" in r.json()


def test_a_key_fixed_in_place_keeps_ids_and_leaves_grades_alone(instructor, module, enrolled):
    data = create(instructor, module)
    enrolled.post(f"/api/quizzes/{data['id']}/attempts/", {"answers": right_answers(data)}, format="json")
    questions = data["questions"]
    numeric = by_kind(questions)["numeric"]
    fixed = six_kinds()
    fixed[2] |= {"id": numeric["id"], "answer": 4}
    fixed.insert(0, fixed.pop(4) | {"id": by_kind(questions)["ordering"]["id"]})  # moved to the front, by id
    r = client_for(instructor).patch(f"/api/quizzes/{data['id']}/", {"questions": fixed}, format="json")
    assert r.status_code == 200, r.json()
    after = r.json()["questions"]
    assert after[0]["id"] == by_kind(questions)["ordering"]["id"]
    assert [i["id"] for i in after[0]["items"]] == [i["id"] for i in by_kind(questions)["ordering"]["items"]]
    assert by_kind(after)["numeric"]["id"] == numeric["id"] and by_kind(after)["numeric"]["answer"] == 4
    assert QuizAttempt.objects.get().score == Decimal(100)  # no regrade, no change


def test_a_timed_quiz_with_every_kind_can_be_started_and_submitted(instructor, module, enrolled):
    data = create(instructor, module, time_limit_minutes=5)
    url = f"/api/quizzes/{data['id']}/"
    assert enrolled.post(f"{url}attempts/start/").status_code == 201
    body = enrolled.post(f"{url}attempts/", {"answers": right_answers(data)}, format="json").json()
    assert body["score"] == 100
