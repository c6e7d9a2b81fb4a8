from django.urls import path

from lessons import views

urlpatterns = [
    path("lessons/<int:lesson_id>/", views.LessonDetailView.as_view(), name="lesson-detail"),
    path("lessons/<int:lesson_id>/complete/", views.LessonCompleteView.as_view(), name="lesson-complete"),
]
