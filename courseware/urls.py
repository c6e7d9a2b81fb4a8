from django.urls import path
from rest_framework.routers import SimpleRouter

from courseware import authoring_views, views

router = SimpleRouter(trailing_slash=True)
router.register("courses", views.CourseViewSet, basename="course")
router.register("enrollments", views.EnrollmentViewSet, basename="enrollment")
router.register("certificates", views.CertificateViewSet, basename="certificate")

urlpatterns = router.urls

# Authoring and enrollment management. ``courses/import/`` comes before the router's
# ``courses/{slug}/`` so it is not taken for a course's slug.
_course = "courses/<slug:slug>"
urlpatterns = [
    path("courses/import/", authoring_views.CourseImportView.as_view(), name="course-import"),
    *urlpatterns,
    path(f"{_course}/export/", authoring_views.CourseExportView.as_view(), name="course-export"),
    path(f"{_course}/instructors/", authoring_views.CourseInstructorsView.as_view(), name="course-instructors"),
    path(
        f"{_course}/instructors/<str:username>/",
        authoring_views.CourseInstructorDetailView.as_view(),
        name="course-instructor-detail",
    ),
    path(f"{_course}/modules/", authoring_views.CourseModulesView.as_view(), name="course-modules"),
    path(f"{_course}/enrollments/", authoring_views.CourseEnrollmentsView.as_view(), name="course-enrollments"),
    path(
        f"{_course}/enrollments/export/",
        authoring_views.CourseEnrollmentsExportView.as_view(),
        name="course-enrollments-export",
    ),
    path(
        f"{_course}/enrollments/<int:enrollment_id>/",
        authoring_views.CourseEnrollmentDetailView.as_view(),
        name="course-enrollment-detail",
    ),
    path(
        f"{_course}/enrollments/<int:enrollment_id>/events/",
        authoring_views.CourseEnrollmentEventsView.as_view(),
        name="course-enrollment-events",
    ),
    path(f"{_course}/analytics/", authoring_views.CourseAnalyticsView.as_view(), name="course-analytics"),
    path("modules/<int:module_id>/", authoring_views.ModuleDetailView.as_view(), name="module-detail"),
    path("modules/<int:module_id>/move/", authoring_views.ModuleMoveView.as_view(), name="module-move"),
]
