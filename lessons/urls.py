from django.urls import path

from lessons import views

# Authoring; the learner's lesson paths (and the lesson's GET) are ``learning``'s.
urlpatterns = [
    path("modules/<int:module_id>/lessons/", views.ModuleLessonsView.as_view(), name="module-lessons"),
    path("lessons/<int:lesson_id>/move/", views.LessonMoveView.as_view(), name="lesson-move"),
]
