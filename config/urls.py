from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from config import health
from config.routing import remembering_path


class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI with its start-up script served as a file (``?script``), not inline, so the page runs
    under the Content-Security-Policy's ``script-src 'self'``.

    drf-spectacular relaxes Cross-Origin-Opener-Policy to ``unsafe-none`` for Swagger UI's OAuth2 popup;
    this API has no OAuth2 flow, so the docs page keeps the site-wide ``same-origin``."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["Cross-Origin-Opener-Policy"] = settings.SECURE_CROSS_ORIGIN_OPENER_POLICY
        return response


handler400 = "config.errors.json_bad_request"
handler403 = "config.errors.json_permission_denied"
handler404 = "config.errors.json_not_found"
handler500 = "config.errors.json_server_error"

api_patterns = [
    path("", include("accounts.urls")),
    path("", include("studio.urls")),  # first: ``courses/import/`` is not a course's slug
    path("", include("learning.urls")),
    path("", include("courseware.urls")),
    path("", include("lessons.urls")),
    path("", include("quizzes.urls")),
    path("", include("events.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(url_name="schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
]

urlpatterns = [
    remembering_path("api/", api_patterns),
    path("certificates/", include("learning.certificates.urls")),
    path("email/", include("notifications.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("livez", health.livez, name="livez"),
    path("admin/", admin.site.urls),
]
