from django.urls import path

from lessons import views

urlpatterns = [
    path("lessons/<int:lesson_id>/", views.LessonDetailView.as_view(), name="lesson-detail"),
    path("lessons/<int:lesson_id>/complete/", views.LessonCompleteView.as_view(), name="lesson-complete"),
]
urlpatterns += [
    path("modules/<int:module_id>/lessons/", views.ModuleLessonsView.as_view(), name="module-lessons"),
    path("lessons/<int:lesson_id>/move/", views.LessonMoveView.as_view(), name="lesson-move"),
]
