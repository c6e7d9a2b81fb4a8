"""The certificate API: the caller's certificates and public verification by code."""

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from config.openapi import ERRORS_404
from courseware.models import Certificate
from learning.certificates.selectors import certificate_get_public, certificate_list
from learning.certificates.serializers import CertificateOutputSerializer, CertificateVerifySerializer


class CertificateViewSet(viewsets.GenericViewSet):
    lookup_field = "code"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    serializer_class = CertificateOutputSerializer
    filter_backends: list = []

    def get_permissions(self):
        return [AllowAny()] if self.action == "retrieve" else [IsAuthenticated()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Certificate.objects.none()
        return certificate_list(user=self.request.user)

    @extend_schema(summary="The caller's certificates.")
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(CertificateOutputSerializer(page, many=True).data)

    @extend_schema(
        summary="Verify a certificate by its code (public, no auth).",
        responses={200: CertificateVerifySerializer, **ERRORS_404},
        auth=[],
    )
    def retrieve(self, request, code=None):
        certificate = certificate_get_public(code=code)
        if certificate is None:
            raise NotFound("No certificate with this code.")
        return Response(CertificateVerifySerializer(certificate).data)
