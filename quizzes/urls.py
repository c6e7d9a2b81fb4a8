from django.urls import path

from quizzes import views

urlpatterns = [
    path("quizzes/<int:quiz_id>/", views.QuizDetailView.as_view(), name="quiz-detail"),
    path("quizzes/<int:quiz_id>/attempts/", views.QuizAttemptsView.as_view(), name="quiz-attempts"),
    path("quizzes/<int:quiz_id>/attempts/start/", views.QuizAttemptStartView.as_view(), name="quiz-attempt-start"),
]
urlpatterns += [
    path("modules/<int:module_id>/quizzes/", views.ModuleQuizzesView.as_view(), name="module-quizzes"),
    path("quizzes/<int:quiz_id>/move/", views.QuizMoveView.as_view(), name="quiz-move"),
]
