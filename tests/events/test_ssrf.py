"""Outbound safety: without WEBHOOKS_ALLOW_PRIVATE_URLS only https to public addresses, checked when
subscribing and again at every delivery (a name that resolves elsewhere later is refused then)."""

import pytest

from events import outbound
from events.delivery import webhook_subscription_send
from events.models import Event, WebhookDelivery, WebhookSubscription
from events.outbound import UnsafeURL, url_addresses
from tests.conftest import client_for
from tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _production_rules(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://[::1]/hook",
        "https://10.1.2.3/hook",
        "https://172.16.0.1/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data/",  # cloud metadata
        "https://100.64.0.1/hook",  # shared address space
        "https://0.0.0.0/hook",
        "https://[::ffff:127.0.0.1]/hook",  # IPv4-mapped loopback
        "https://[fd00::1]/hook",  # unique local
        "https://[fe80::1]/hook",  # link-local
        "https://224.0.0.1/hook",  # multicast
        "http://93.184.215.14/hook",  # public, but not https
        "https://user:pass@93.184.215.14/hook",
    ],
)
def test_refused_when_subscribing(url):
    with pytest.raises(UnsafeURL):
        url_addresses(url)
    r = client_for(AdminFactory()).post("/api/webhooks/", {"url": url, "events": ["lesson.completed"]})
    assert r.status_code == 400 and "url" in r.json(), r.json()


def test_a_name_with_one_private_address_among_public_ones_is_refused(monkeypatch):
    monkeypatch.setattr(outbound, "resolve", lambda host, port: ["93.184.215.14", "10.0.0.7"])
    with pytest.raises(UnsafeURL, match=r"10\.0\.0\.7"):
        url_addresses("https://hooks.example.com/")


def test_public_https_is_allowed(monkeypatch):
    monkeypatch.setattr(outbound, "resolve", lambda host, port: ["93.184.215.14"])
    target, addresses = url_addresses("https://hooks.example.com:8443/in?x=1")
    assert (target.host, target.port, target.path, addresses) == (
        "hooks.example.com",
        8443,
        "/in?x=1",
        ["93.184.215.14"],
    )


def test_private_urls_allowed_by_the_environment(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
    target, addresses = url_addresses("http://127.0.0.1:9/hook")
    assert target.scheme == "http" and addresses == ["127.0.0.1"]


def test_refused_again_at_delivery_dns_rebinding(monkeypatch, receiver):
    """Subscribed while the name resolved to a public address; at delivery it resolves to loopback
    (where a receiver listens): nothing is sent, the attempt records why."""
    admin = AdminFactory()
    monkeypatch.setattr(outbound, "resolve", lambda host, port: ["93.184.215.14"])
    r = client_for(admin).post(
        "/api/webhooks/", {"url": f"https://rebind.example.com:{receiver.port}/", "events": ["course.published"]}
    )
    assert r.status_code == 201
    monkeypatch.setattr(outbound, "resolve", lambda host, port: ["127.0.0.1"])
    subscription = WebhookSubscription.objects.get()
    event = Event.objects.create(type="course.published", occurred_at="2026-01-01T00:00:00Z", position=1)
    WebhookDelivery.objects.create(subscription=subscription, event=event, position=1)
    webhook_subscription_send(subscription_id=subscription.pk)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING and delivery.attempt >= 1
    assert delivery.status_code is None and "Refused" in delivery.error and "127.0.0.1" in delivery.error
    assert receiver.requests == []


def test_redirects_are_not_followed(settings, receiver):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
    receiver.status, receiver.headers = 307, {"Location": "http://169.254.169.254/"}
    answer = outbound.post(url=receiver.url, body=b"{}", headers={}, timeout=2)
    assert answer.status_code == 307 and not answer.ok and "Redirect" in answer.error
    assert len(receiver.requests) == 1


def test_response_bodies_are_read_up_to_a_limit(settings, receiver):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
    answer = outbound.post(url=receiver.url, body=b"{}", headers={}, timeout=2)
    assert answer.ok and len(answer.body) == outbound.RESPONSE_MAX_BYTES  # the receiver sent 100 kB
