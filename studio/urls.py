from django.urls import path

from studio import views

# ``courses/import/`` is included before the catalog's ``courses/{slug}/`` so it is not taken for a slug.
urlpatterns = [
    path("courses/import/", views.CourseImportView.as_view(), name="course-import"),
    path("courses/<slug:slug>/export/", views.CourseExportView.as_view(), name="course-export"),
    path("courses/<slug:slug>/analytics/", views.CourseAnalyticsView.as_view(), name="course-analytics"),
    path("courses/<slug:slug>/versions/", views.CourseVersionListView.as_view(), name="course-versions"),
    path(
        "courses/<slug:slug>/versions/<int:number>/diff/",
        views.CourseVersionDiffView.as_view(),
        name="course-version-diff",
    ),
    path(
        "courses/<slug:slug>/versions/<int:number>/restore/",
        views.CourseVersionRestoreView.as_view(),
        name="course-version-restore",
    ),
]
