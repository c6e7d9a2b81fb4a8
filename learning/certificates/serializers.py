"""Shapes of certificates: the learner's own and the public verification answer."""

from django.conf import settings
from rest_framework import serializers

from courseware.models import Certificate


class CertificateBriefSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = ["code", "issued_at", "revoked", "url", "pdf_url"]

    def get_url(self, cert) -> str:
        return f"{settings.PUBLIC_BASE_URL}/certificates/{cert.code}/"

    def get_pdf_url(self, cert) -> str:
        return f"{settings.PUBLIC_BASE_URL}/certificates/{cert.code}.pdf"


# --- Certificates -----------------------------------------------------------------------------
class CertificateOutputSerializer(CertificateBriefSerializer):
    course = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta(CertificateBriefSerializer.Meta):
        fields = ["code", "course", "course_title", "learner_name", "issued_at", "revoked", "url", "pdf_url"]


class CertificateVerifySerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = ["code", "learner_name", "course_title", "issued_at", "revoked", "revoked_at", "url"]

    def get_url(self, cert) -> str:
        return f"{settings.PUBLIC_BASE_URL}/certificates/{cert.code}/"
