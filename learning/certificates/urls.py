"""Public certificate pages, mounted at ``/certificates/`` by the project URLconf."""

from django.urls import re_path

from learning.certificates.pages import certificate_page, certificate_pdf_file

app_name = "certificates"

# Codes are grouped Crockford base32 (any case, dashes optional) or, issued before, URL-safe base64.
CODE = r"(?P<code>[A-Za-z0-9_-]{1,64})"

urlpatterns = [
    re_path(rf"^{CODE}/$", certificate_page, name="page"),
    re_path(rf"^{CODE}\.pdf$", certificate_pdf_file, name="pdf"),
]
