from django.urls import path

from events import views

app_name = "events"

urlpatterns = [
    path("events/", views.EventFeedView.as_view(), name="feed"),
    path("webhooks/", views.WebhookListView.as_view(), name="webhooks"),
    path("webhooks/<int:subscription_id>/", views.WebhookDetailView.as_view(), name="webhook-detail"),
    path("webhooks/<int:subscription_id>/rotate-secret/", views.WebhookRotateSecretView.as_view(), name="rotate"),
    path("webhooks/<int:subscription_id>/deliveries/", views.WebhookDeliveriesView.as_view(), name="deliveries"),
    path(
        "webhooks/<int:subscription_id>/deliveries/<int:delivery_id>/redeliver/",
        views.WebhookRedeliverView.as_view(),
        name="redeliver",
    ),
    path("webhooks/<int:subscription_id>/replay/", views.WebhookReplayView.as_view(), name="replay"),
]
