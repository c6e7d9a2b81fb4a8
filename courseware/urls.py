from rest_framework.routers import SimpleRouter

from courseware import views

router = SimpleRouter(trailing_slash=True)
router.register("courses", views.CourseViewSet, basename="course")
router.register("enrollments", views.EnrollmentViewSet, basename="enrollment")
router.register("certificates", views.CertificateViewSet, basename="certificate")

urlpatterns = router.urls
