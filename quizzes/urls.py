from django.urls import path

from quizzes import views

# Authoring; the learner's quiz paths (and the quiz's GET) are ``learning``'s.
urlpatterns = [
    path("modules/<int:module_id>/quizzes/", views.ModuleQuizzesView.as_view(), name="module-quizzes"),
    path("quizzes/<int:quiz_id>/move/", views.QuizMoveView.as_view(), name="quiz-move"),
    path("quizzes/<int:quiz_id>/regrade/", views.QuizRegradeView.as_view(), name="quiz-regrade"),
    path("quizzes/<int:quiz_id>/regrades/", views.QuizRegradesView.as_view(), name="quiz-regrades"),
    path("quizzes/<int:quiz_id>/overrides/", views.QuizOverridesView.as_view(), name="quiz-overrides"),
]
