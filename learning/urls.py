from django.urls import path
from rest_framework.routers import SimpleRouter

from learning.catalog.views import CourseViewSet, EnrollmentViewSet
from learning.certificates.views import CertificateViewSet
from learning.content import lesson_views, quiz_views

router = SimpleRouter(trailing_slash=True)
router.register("courses", CourseViewSet, basename="course")
router.register("enrollments", EnrollmentViewSet, basename="enrollment")
router.register("certificates", CertificateViewSet, basename="certificate")

urlpatterns = [
    *router.urls,
    path("lessons/<int:lesson_id>/", lesson_views.LessonDetailView.as_view(), name="lesson-detail"),
    path("lessons/<int:lesson_id>/complete/", lesson_views.LessonCompleteView.as_view(), name="lesson-complete"),
    path("quizzes/<int:quiz_id>/", quiz_views.QuizDetailView.as_view(), name="quiz-detail"),
    path("quizzes/<int:quiz_id>/attempts/", quiz_views.QuizAttemptsView.as_view(), name="quiz-attempts"),
    path("quizzes/<int:quiz_id>/attempts/start/", quiz_views.QuizAttemptStartView.as_view(), name="quiz-attempt-start"),
]
