from django.urls import path

from courseware.enrollment import views as enrollment
from courseware.structure import views as structure

_course = "courses/<slug:slug>"
urlpatterns = [
    path(f"{_course}/instructors/", structure.CourseInstructorsView.as_view(), name="course-instructors"),
    path(
        f"{_course}/instructors/<str:username>/",
        structure.CourseInstructorDetailView.as_view(),
        name="course-instructor-detail",
    ),
    path(f"{_course}/modules/", structure.CourseModulesView.as_view(), name="course-modules"),
    path("modules/<int:module_id>/", structure.ModuleDetailView.as_view(), name="module-detail"),
    path("modules/<int:module_id>/move/", structure.ModuleMoveView.as_view(), name="module-move"),
    # The roster: enrollment management.
    path(f"{_course}/enrollments/", enrollment.CourseEnrollmentsView.as_view(), name="course-enrollments"),
    path(
        f"{_course}/enrollments/export/",
        enrollment.CourseEnrollmentsExportView.as_view(),
        name="course-enrollments-export",
    ),
    path(
        f"{_course}/enrollments/<int:enrollment_id>/",
        enrollment.CourseEnrollmentDetailView.as_view(),
        name="course-enrollment-detail",
    ),
    path(
        f"{_course}/enrollments/<int:enrollment_id>/events/",
        enrollment.CourseEnrollmentEventsView.as_view(),
        name="course-enrollment-events",
    ),
]
