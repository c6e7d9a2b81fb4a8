"""What the benchmark serves: the production WSGI application (``config.wsgi``) with one extra
route, ``/bench/auth-floor``, appended after every route of the API (so it changes how no other
URL resolves).

That route is the cheapest authenticated request the API's own framework can answer: a DRF view
with the project's default authentication (the token looked up in PostgreSQL), permission
(authenticated) and throttles (one Redis call), answering a two-key JSON object. Every learner
endpoint pays at least this before doing its own work, so the bench reports each of them against
it as well as against ``/livez`` (which authenticates nothing)."""

from config.wsgi import application  # sets Django up; DRF's views can be imported only after


def _append_route() -> None:
    from django.urls import path
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from config import urls

    class AuthFloorView(APIView):
        def get(self, request):
            return Response({"status": "ok", "user": request.user.pk})

    urls.urlpatterns.append(path("bench/auth-floor", AuthFloorView.as_view()))


_append_route()

__all__ = ["application"]
