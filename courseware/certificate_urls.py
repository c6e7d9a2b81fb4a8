"""Public certificate pages, mounted at ``/certificates/`` by the project URLconf."""

from django.urls import re_path

from courseware import certificate_views

app_name = "certificates"

# Codes are URL-safe base64 (``secrets.token_urlsafe``): letters, digits, "-" and "_".
CODE = r"(?P<code>[A-Za-z0-9_-]{1,64})"

urlpatterns = [
    re_path(rf"^{CODE}/$", certificate_views.certificate_page, name="page"),
    re_path(rf"^{CODE}\.pdf$", certificate_views.certificate_pdf_file, name="pdf"),
]
