"""The certificate as a document: its public links and its PDF (landscape A4, drawn with reportlab)."""

import io
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from courseware.models import Certificate

# A Unicode font when the host has one (names in any script); the built-in Helvetica otherwise.
_UNICODE_FONTS = (
    (
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ),
    (Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"), Path("/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf")),
)
INK = colors.HexColor("#1f2937")
ACCENT = colors.HexColor("#1d4ed8")
MUTED = colors.HexColor("#6b7280")


def certificate_verify_url(*, certificate: Certificate) -> str:
    return f"{settings.PUBLIC_BASE_URL}/certificates/{certificate.code}/"


def certificate_pdf_url(*, certificate: Certificate) -> str:
    return f"{settings.PUBLIC_BASE_URL}/certificates/{certificate.code}.pdf"


@cache
def _fonts() -> tuple[str, str]:
    """(regular, bold) font names, registered once per process."""
    for regular, bold in _UNICODE_FONTS:
        if regular.is_file() and bold.is_file():
            pdfmetrics.registerFont(TTFont("CertSans", str(regular)))
            pdfmetrics.registerFont(TTFont("CertSans-Bold", str(bold)))
            return "CertSans", "CertSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def _fit(text: str, font: str, size: float, width: float, minimum: float = 12) -> float:
    """The largest font size up to ``size`` at which ``text`` fits in ``width``."""
    while size > minimum and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 1
    return size


def certificate_pdf(*, certificate: Certificate) -> bytes:
    """The certificate as a one-page landscape A4 PDF: learner, course, issue date, code and the
    verification URL. A revoked certificate carries a large "REVOKED" watermark."""
    regular, bold = _fonts()
    width, height = landscape(A4)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(width, height), pageCompression=1)
    pdf.setTitle(f"Certificate {certificate.code}")
    pdf.setAuthor("Courses")
    pdf.setSubject(f"{certificate.learner_name} completed {certificate.course_title}")

    # Frame.
    pdf.setStrokeColor(ACCENT)
    pdf.setLineWidth(4)
    pdf.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    pdf.setLineWidth(1)
    pdf.rect(16 * mm, 16 * mm, width - 32 * mm, height - 32 * mm)

    centre = width / 2
    text_width = width - 60 * mm
    pdf.setFillColor(ACCENT)
    pdf.setFont(bold, 34)
    pdf.drawCentredString(centre, height - 52 * mm, "Certificate of Completion")

    pdf.setFillColor(MUTED)
    pdf.setFont(regular, 15)
    pdf.drawCentredString(centre, height - 72 * mm, "This certifies that")

    pdf.setFillColor(INK)
    size = _fit(certificate.learner_name, bold, 30, text_width)
    pdf.setFont(bold, size)
    pdf.drawCentredString(centre, height - 90 * mm, certificate.learner_name)

    pdf.setFillColor(MUTED)
    pdf.setFont(regular, 15)
    pdf.drawCentredString(centre, height - 106 * mm, "has successfully completed the course")

    pdf.setFillColor(INK)
    size = _fit(certificate.course_title, bold, 24, text_width)
    pdf.setFont(bold, size)
    pdf.drawCentredString(centre, height - 122 * mm, certificate.course_title)

    pdf.setFont(regular, 13)
    pdf.drawCentredString(centre, height - 140 * mm, f"Issued on {timezone.localtime(certificate.issued_at):%d %B %Y}")

    verify_url = certificate_verify_url(certificate=certificate)
    pdf.setFillColor(MUTED)
    pdf.setFont(regular, 10)
    pdf.drawCentredString(centre, 34 * mm, f"Certificate code: {certificate.code}")
    pdf.drawCentredString(centre, 28 * mm, f"Verify at {verify_url}")
    pdf.linkURL(verify_url, (centre - 90 * mm, 26 * mm, centre + 90 * mm, 32 * mm), relative=0)

    if certificate.revoked:
        pdf.saveState()
        pdf.setFillColor(colors.Color(0.8, 0.1, 0.1, alpha=0.35))
        pdf.setFont(bold, 120)
        pdf.translate(centre, height / 2)
        pdf.rotate(25)
        pdf.drawCentredString(0, -40, "REVOKED")
        pdf.restoreState()

    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
