"""The public certificate pages: the HTML verification page and the PDF, for anyone with the code."""

import pytest
from django.utils import timezone

from learning.certificates.pdf import certificate_pdf
from learning.certificates.services import certificate_revoke
from tests.factories import CertificateFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def certificate():
    return CertificateFactory(
        learner=UserFactory(first_name="Ada", last_name="Lovelace"), course__title="Analytical Engines"
    )


def test_verification_page_shows_a_valid_certificate(client, certificate, settings):
    response = client.get(f"/certificates/{certificate.code}/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response["X-Robots-Tag"].startswith("noindex")
    assert response["Cache-Control"] == "no-cache"  # a revocation shows at once
    page = response.content.decode()
    assert 'data-status="valid"' in page and 'data-status="revoked"' not in page
    assert "Ada Lovelace" in page and "Analytical Engines" in page and certificate.code in page
    assert f'href="{settings.PUBLIC_BASE_URL}/certificates/{certificate.code}.pdf"' in page
    assert f"{timezone.localtime(certificate.issued_at):%Y}" in page


def test_verification_page_needs_no_login_and_escapes_names(client):
    certificate = CertificateFactory(learner_name="<script>alert(1)</script>")
    page = client.get(f"/certificates/{certificate.code}/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_revoked_certificate_page_says_revoked_and_offers_no_pdf(client, certificate):
    certificate_revoke(certificate=certificate, reason="Issued in error")

    response = client.get(f"/certificates/{certificate.code}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-status="revoked"' in page and 'data-status="valid"' not in page
    assert f"{certificate.code}.pdf" not in page


def test_unknown_code_is_a_404_html_page_not_indexed(client):
    for path in ("/certificates/no-such-code/", "/certificates/no-such-code.pdf"):
        response = client.get(path)
        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/html")
        assert response["X-Robots-Tag"].startswith("noindex")
        assert b"Certificate not found" in response.content


def test_pdf_is_served_inline(client, certificate):
    response = client.get(f"/certificates/{certificate.code}.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f"inline; filename=certificate-{certificate.code}.pdf"
    assert response.content.startswith(b"%PDF") and response.content.rstrip().endswith(b"%%EOF")
    assert client.head(f"/certificates/{certificate.code}.pdf").status_code == 200


def test_revoked_pdf_is_gone(client, certificate):
    certificate_revoke(certificate=certificate)

    response = client.get(f"/certificates/{certificate.code}.pdf")

    assert response.status_code == 410
    assert response["Content-Type"].startswith("text/plain")
    assert b"revoked" in response.content and b"no longer valid" in response.content


def test_pages_only_answer_reads(client, certificate):
    assert client.post(f"/certificates/{certificate.code}/").status_code == 405
    assert client.post(f"/certificates/{certificate.code}.pdf").status_code == 405


def test_pdf_is_landscape_a4_and_names_learner_course_code_and_verification_url(certificate, settings):
    pdf = certificate_pdf(certificate=certificate)

    assert pdf.startswith(b"%PDF")
    # Landscape A4 is 842 x 595 points.
    assert b"/MediaBox [ 0 0 841.8898 595.2756 ]" in pdf
    verify_url = f"{settings.PUBLIC_BASE_URL}/certificates/{certificate.code}/"
    assert verify_url.encode() in pdf  # the link annotation


def test_pdf_draws_any_name_and_marks_a_revoked_certificate(certificate):
    certificate.learner_name = "Zoë Ødegård 李小龍 Łukasz"
    valid = certificate_pdf(certificate=certificate)
    certificate.revoked = True
    revoked = certificate_pdf(certificate=certificate)
    assert valid.startswith(b"%PDF") and revoked.startswith(b"%PDF")
    assert revoked != valid
