from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from config import health

handler400 = "config.errors.json_bad_request"
handler403 = "config.errors.json_permission_denied"
handler404 = "config.errors.json_not_found"
handler500 = "config.errors.json_server_error"

api_patterns = [
    path("", include("accounts.urls")),
    path("", include("courseware.urls")),
    path("", include("lessons.urls")),
    path("", include("quizzes.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
]

urlpatterns = [
    path("api/", include(api_patterns)),
    path("certificates/", include("courseware.certificate_urls")),
    path("email/", include("notifications.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("livez", health.livez, name="livez"),
    path("admin/", admin.site.urls),
]
