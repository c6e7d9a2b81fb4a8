"""Public certificate verification: an HTML page and the PDF, for anyone holding the code.

No authentication (the code is an unguessable capability); never indexed by search engines."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from learning.certificates.pdf import certificate_pdf, certificate_pdf_url, certificate_verify_url
from learning.certificates.selectors import certificate_get_public

# Verification must reflect a revocation at once: caches may keep a copy but must revalidate it.
CACHE_CONTROL = "no-cache"


def _public(response: HttpResponse, *, cache_control: str = CACHE_CONTROL) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = cache_control
    return response


def _not_found(request: HttpRequest, code: str) -> HttpResponse:
    response = render(request, "learning/certificate_not_found.html", {"code": code}, status=404)
    return _public(response, cache_control="no-store")


@require_safe
def certificate_page(request: HttpRequest, code: str) -> HttpResponse:
    """The verification page: valid or revoked, learner, course, issue date, code and the PDF link."""
    certificate = certificate_get_public(code=code)
    if certificate is None:
        return _not_found(request, code)
    context = {
        "certificate": certificate,
        "verify_url": certificate_verify_url(certificate=certificate),
        "pdf_url": certificate_pdf_url(certificate=certificate),
    }
    return _public(render(request, "learning/certificate.html", context))


@require_safe
def certificate_pdf_file(request: HttpRequest, code: str) -> HttpResponse:
    """The PDF certificate. A revoked certificate is gone (410): it is no longer served as valid."""
    certificate = certificate_get_public(code=code)
    if certificate is None:
        return _not_found(request, code)
    if certificate.revoked:
        revoked_on = timezone.localtime(certificate.revoked_at).date().isoformat() if certificate.revoked_at else None
        body = f"Certificate {certificate.code} was revoked" + (f" on {revoked_on}" if revoked_on else "") + ".\n"
        body += "It is no longer valid.\n"
        response = HttpResponse(body, status=410, content_type="text/plain; charset=utf-8")
        return _public(response)
    response = HttpResponse(certificate_pdf(certificate=certificate), content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename=certificate-{certificate.code}.pdf"
    return _public(response)
