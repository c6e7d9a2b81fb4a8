"""The admin edits and previews every question kind: each question's page renders its key rows (role,
match) and a preview as a learner sees it; a matching question whose prompt has no option is refused."""

import pytest
from django.urls import reverse

from quizzes.models import Question
from tests.factories import add_every_kind, build_course

pytestmark = pytest.mark.django_db


def test_every_kind_has_an_edit_page_with_a_learner_preview(client, admin_user):
    course = build_course(modules=1, lessons_per_module=1)
    quiz = add_every_kind(course.modules.get().quizzes.get())
    client.force_login(admin_user)
    for question in quiz.questions.all():
        page = client.get(reverse("admin:quizzes_question_change", args=[question.pk])).content.decode()
        assert "As a learner sees it" in page, question.kind
    matching = quiz.questions.get(kind="matching")
    page = client.get(reverse("admin:quizzes_question_change", args=[matching.pk])).content.decode()
    assert "a →" in page and "b →" in page


def test_a_matching_prompt_without_an_option_is_refused(client, admin_user):
    course = build_course(modules=1, lessons_per_module=1)
    quiz = add_every_kind(course.modules.get().quizzes.get())
    matching = quiz.questions.get(kind="matching")
    rows = list(matching.choices.order_by("role", "position"))
    data = {
        "quiz": quiz.pk,
        "position": matching.position,
        "kind": "matching",
        "points": matching.points,
        "accepted": "[]",
        "text": matching.text,
        "choices-TOTAL_FORMS": len(rows),
        "choices-INITIAL_FORMS": len(rows),
        "choices-MIN_NUM_FORMS": 0,
        "choices-MAX_NUM_FORMS": 1000,
    }
    for i, row in enumerate(rows):
        data |= {
            f"choices-{i}-id": row.pk,
            f"choices-{i}-question": matching.pk,
            f"choices-{i}-role": row.role,
            f"choices-{i}-position": row.position,
            f"choices-{i}-text": row.text,
            f"choices-{i}-explanation": "",
            f"choices-{i}-match": "",  # every prompt loses its option
        }
    client.force_login(admin_user)
    response = client.post(reverse("admin:quizzes_question_change", args=[matching.pk]), data)
    assert response.status_code == 200 and "each matched to an option" in response.content.decode()
    assert Question.objects.get(pk=matching.pk).choices.filter(role="prompt", match__isnull=False).count() == 2
