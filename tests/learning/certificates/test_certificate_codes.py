"""Certificate codes are read off paper: grouped Crockford base32, found whatever the case, dashes or
look-alikes; codes issued before (URL-safe base64) keep working exactly as issued."""

import re

import pytest
from rest_framework.test import APIClient

from courseware.models import CERTIFICATE_CODE_ALPHABET, new_certificate_code
from tests.factories import CertificateFactory

pytestmark = pytest.mark.django_db


def test_new_codes_are_five_groups_of_five_without_look_alikes():
    codes = {new_certificate_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){4}", code), code
        assert not set(code.replace("-", "")) - set(CERTIFICATE_CODE_ALPHABET)
        assert not set(code) & set("ILOU")


def test_a_new_code_is_found_in_any_case_with_or_without_dashes_and_look_alikes(client):
    certificate = CertificateFactory(code="7KQ2M-0AB1C-DEFGH-JKMNP-QRST1")
    for typed in [
        certificate.code,
        certificate.code.lower(),
        certificate.code.replace("-", ""),
        "7kq2m-oab1c-defgh-jkmnp-qrsti",  # O for 0, I for 1
        "7KQ2M0AB1CDEFGHJKMNPQRSTL",  # L for 1
    ]:
        r = APIClient().get(f"/api/certificates/{typed}/")
        assert r.status_code == 200, typed
        assert r.json()["code"] == certificate.code
        assert client.get(f"/certificates/{typed}/").status_code == 200, typed
        assert client.get(f"/certificates/{typed}.pdf").status_code == 200, typed


def test_a_certificate_issued_with_an_old_code_keeps_its_code_exactly():
    old = CertificateFactory(code="lrFTDxNSzLFflMgDw3nXbQ")
    assert APIClient().get(f"/api/certificates/{old.code}/").json()["code"] == old.code
    assert APIClient().get(f"/api/certificates/{old.code.lower()}/").status_code == 404  # old codes: as issued


def test_issued_certificates_get_new_codes():
    certificate = CertificateFactory()
    assert len(certificate.code) == 29 and certificate.code.count("-") == 4
