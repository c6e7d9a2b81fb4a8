"""The caller's certificates and public verification, through the HTTP API."""

import pytest
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from tests.conftest import client_for
from tests.factories import CertificateFactory, CourseFactory, UserFactory

pytestmark = pytest.mark.django_db

CONTRACT = {"code", "learner_name", "course_title", "issued_at", "revoked"}


def test_my_certificates_lists_only_mine():
    learner = UserFactory()
    mine = [CertificateFactory(learner=learner, course=CourseFactory()) for _ in range(2)]
    CertificateFactory.create_batch(3)
    r = client_for(learner).get("/api/certificates/")
    assert r.status_code == 200
    body = r.json()
    rows = body["results"] if isinstance(body, dict) else body
    assert sorted(row["code"] for row in rows) == sorted(c.code for c in mine)
    for row in rows:
        assert {"code", "course", "issued_at"} <= set(row)
    assert {row["course"] for row in rows} == {c.course.slug for c in mine}


def test_my_certificates_anonymous_is_401():
    assert APIClient().get("/api/certificates/").status_code == 401


def test_public_verification_needs_no_auth_and_has_the_contract_fields():
    certificate = CertificateFactory(learner_name="Ada Lovelace", course_title="Analytical Engines")
    r = APIClient().get(f"/api/certificates/{certificate.code}/")
    assert r.status_code == 200
    body = r.json()
    assert set(body) >= CONTRACT
    assert body["code"] == certificate.code
    assert body["learner_name"] == "Ada Lovelace"
    assert body["course_title"] == "Analytical Engines"
    assert parse_datetime(body["issued_at"]) == certificate.issued_at
    assert body["revoked"] is False
    # Nothing that identifies the account beyond the printed name.
    assert not {"email", "learner", "username"} & set(body)


def test_public_verification_shows_revocation():
    certificate = CertificateFactory(revoked=True)
    body = APIClient().get(f"/api/certificates/{certificate.code}/").json()
    assert body["revoked"] is True


def test_names_are_frozen_at_issue_time():
    certificate = CertificateFactory(course_title="Old title", learner_name="Old Name")
    certificate.course.title = "New title"
    certificate.course.save()
    body = APIClient().get(f"/api/certificates/{certificate.code}/").json()
    assert body["course_title"] == "Old title" and body["learner_name"] == "Old Name"


@pytest.mark.parametrize("code", ["does-not-exist", "A" * 22, "x"])
def test_unknown_code_is_404_json(code):
    CertificateFactory()
    r = APIClient().get(f"/api/certificates/{code}/")
    assert r.status_code == 404
    assert "detail" in r.json()


def test_verification_works_with_a_token_too():
    certificate = CertificateFactory()
    assert client_for(UserFactory()).get(f"/api/certificates/{certificate.code}/").status_code == 200


def test_certificates_are_read_only():
    learner = UserFactory()
    certificate = CertificateFactory(learner=learner)
    client = client_for(learner)
    assert client.post("/api/certificates/", {"course": certificate.course.slug}, format="json").status_code == 405
    assert client.delete(f"/api/certificates/{certificate.code}/").status_code == 405
    assert APIClient().patch(
        f"/api/certificates/{certificate.code}/", {"revoked": True}, format="json"
    ).status_code in (
        401,
        403,
        405,
    )
    certificate.refresh_from_db()
    assert certificate.revoked is False
