"""The pull feed (``/api/events/``) and webhook subscriptions (``/api/webhooks/``)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.openapi import ERRORS_400, ERRORS_401, ERRORS_403, ERRORS_404
from config.pagination import PageNumberPagination
from events import selectors, subscriptions
from events import serializers as s
from events.models import WebhookSubscription
from events.payloads import event_item
from events.permissions import MayIntegrate
from events.renderers import JSONRenderer, XAPIRenderer
from events.xapi import statement

PERMISSIONS = [IsAuthenticated, MayIntegrate]


class EventFeedView(APIView):
    permission_classes = PERMISSIONS
    renderer_classes = [JSONRenderer, XAPIRenderer]
    FORMATS = ("json", "xapi")

    def perform_content_negotiation(self, request, force=False):
        """An unknown ``?format=`` is a 400 naming it (DRF would answer 404)."""
        wanted = request.query_params.get("format")
        if not force and wanted is not None and wanted not in self.FORMATS:
            self.request.accepted_renderer, self.request.accepted_media_type = JSONRenderer(), "application/json"
            raise ValidationError({"format": [f"Must be one of: {', '.join(self.FORMATS)}."]})
        return super().perform_content_negotiation(request, force=force)

    @extend_schema(
        parameters=[
            s.EventsQuerySerializer,
            OpenApiParameter(
                "format", OpenApiTypes.STR, enum=["json", "xapi"], description="`xapi`: xAPI 1.0.3 statements."
            ),
        ],
        responses={
            200: OpenApiResponse(
                s.EventsPageSerializer,
                description="Events after the cursor in commit order (`?format=xapi`: `results` are xAPI statements).",
            ),
            **ERRORS_400,
            **ERRORS_401,
            **ERRORS_403,
        },
    )
    def get(self, request):
        """Events after `after` (a cursor from `next_cursor`), oldest first, in commit order: the same
        events, in the same order, that webhooks deliver. Admins read every course, instructors theirs."""
        query = s.EventsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        events = selectors.events_page(
            user=request.user, after=q["after"], types=q.get("type"), course_slug=q.get("course"), limit=q["limit"]
        )
        next_cursor = str(events[-1].position) if events else str(q["after"])
        if request.accepted_renderer.format == "xapi":
            results = [st for st in (statement(e) for e in events) if st is not None]
        else:
            results = [event_item(e) for e in events]
        return Response({"results": results, "next_cursor": next_cursor})


def _subscription(request, subscription_id: int) -> WebhookSubscription:
    subscription = selectors.subscriptions_of(user=request.user).filter(pk=subscription_id).first()
    if subscription is None:
        raise NotFound("No webhook subscription with this id.")
    return subscription


def _course_id(request, slug: str | None) -> int | None:
    if not slug:
        return None
    course_id = selectors.course_id_visible(user=request.user, slug=slug)
    if course_id is None:
        raise NotFound("No course with this slug among the courses you may subscribe to.")
    return course_id


class WebhookListView(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(responses={200: s.SubscriptionOutputSerializer(many=True), **ERRORS_401, **ERRORS_403})
    def get(self, request):
        """The caller's webhook subscriptions."""
        return Response(s.SubscriptionOutputSerializer(selectors.subscriptions_of(user=request.user), many=True).data)

    @extend_schema(
        request=s.SubscriptionInputSerializer,
        responses={201: s.SubscriptionCreatedSerializer, **ERRORS_400, **ERRORS_401, **ERRORS_403, **ERRORS_404},
    )
    def post(self, request):
        """Subscribe a URL to event types (of one course, or of every course the caller may see). The
        answer carries the signing secret; it is never shown again (rotate it to get a new one)."""
        data = s.SubscriptionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = subscriptions.webhook_subscription_create(
            owner=request.user,
            url=data.validated_data["url"],
            event_types=data.validated_data["events"],
            course_id=_course_id(request, data.validated_data.get("course")),
        )
        return Response(s.SubscriptionCreatedSerializer(subscription).data, status=status.HTTP_201_CREATED)


class WebhookDetailView(APIView):
    permission_classes = PERMISSIONS
    http_method_names = ["get", "patch", "delete", "head", "options"]

    @extend_schema(responses={200: s.SubscriptionOutputSerializer, **ERRORS_401, **ERRORS_403, **ERRORS_404})
    def get(self, request, subscription_id: int):
        return Response(s.SubscriptionOutputSerializer(_subscription(request, subscription_id)).data)

    @extend_schema(
        request=s.SubscriptionUpdateSerializer,
        responses={200: s.SubscriptionOutputSerializer, **ERRORS_400, **ERRORS_401, **ERRORS_403, **ERRORS_404},
    )
    def patch(self, request, subscription_id: int):
        """Change the URL, event types or course; `is_active: true` turns a disabled subscription back on."""
        subscription = _subscription(request, subscription_id)
        data = s.SubscriptionUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        fields = {k: v[k] for k in ("url", "is_active") if k in v}
        if "events" in v:
            fields["event_types"] = v["events"]
        if "course" in v:
            fields["course_id"] = _course_id(request, v["course"])
        subscription = subscriptions.webhook_subscription_update(subscription=subscription, **fields)
        return Response(s.SubscriptionOutputSerializer(subscription).data)

    @extend_schema(responses={204: None, **ERRORS_401, **ERRORS_403, **ERRORS_404})
    def delete(self, request, subscription_id: int):
        subscriptions.webhook_subscription_delete(subscription=_subscription(request, subscription_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateSecretView(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(request=None, responses={200: s.SecretSerializer, **ERRORS_401, **ERRORS_403, **ERRORS_404})
    def post(self, request, subscription_id: int):
        """A new secret, shown only here. For `WEBHOOKS_SECRET_GRACE_SECONDS` (a day) every delivery
        carries two signatures, the new secret's and the old one's, so receivers can switch without a gap."""
        subscription = subscriptions.webhook_subscription_rotate_secret(
            subscription=_subscription(request, subscription_id)
        )
        return Response(
            {"secret": subscription.secret, "previous_secret_expires_at": subscription.previous_secret_expires_at}
        )


class WebhookDeliveriesView(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(
        parameters=[
            OpenApiParameter("page", OpenApiTypes.INT, description="A page number."),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="Results per page (at most 100)."),
        ],
        responses={200: s.DeliveryOutputSerializer(many=True), **ERRORS_401, **ERRORS_403, **ERRORS_404},
    )
    def get(self, request, subscription_id: int):
        """The delivery log: one row per event owed to this subscription, newest first, with its
        attempts, last answer and next try."""
        subscription = _subscription(request, subscription_id)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(
            selectors.subscription_deliveries(subscription=subscription), request, view=self
        )
        return paginator.get_paginated_response(s.DeliveryOutputSerializer(page, many=True).data)


class WebhookRedeliverView(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(request=None, responses={202: None, **ERRORS_401, **ERRORS_403, **ERRORS_404})
    def post(self, request, subscription_id: int, delivery_id: int):
        """Send this delivery again, now, with the same `webhook-id`."""
        subscriptions.webhook_delivery_redeliver(
            subscription=_subscription(request, subscription_id), delivery_id=delivery_id
        )
        return Response(status=status.HTTP_202_ACCEPTED)


class WebhookReplayView(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(
        request=s.ReplayInputSerializer,
        responses={202: s.ReplayOutputSerializer, **ERRORS_400, **ERRORS_401, **ERRORS_403, **ERRORS_404},
    )
    def post(self, request, subscription_id: int):
        """Deliver again, in order, every event after the cursor `after` that this subscription wants."""
        subscription = _subscription(request, subscription_id)
        data = s.ReplayInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        after = data.validated_data["after"]
        queued = subscriptions.webhook_subscription_replay(subscription=subscription, after=after)
        return Response({"queued": queued}, status=status.HTTP_202_ACCEPTED)
