"""``GET /api/v1/me``: who the credential is."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import HasScope


class MeView(APIView):
    permission_classes = [HasScope]

    def required_scope(self, request: Request) -> None:
        return None  # any valid credential may ask who it is

    @extend_schema(
        summary="The credential: user, workspace, scopes and kind",
        responses=inline_serializer(
            "Me",
            {
                "user": serializers.DictField(allow_null=True),
                "workspace": serializers.DictField(),
                "scopes": serializers.ListField(child=serializers.CharField()),
                "auth": serializers.ChoiceField(choices=["api_key", "oauth2", "session"]),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        credential = request.auth
        user = credential.user
        return Response(
            {
                "user": (
                    {"id": str(user.pk), "email": user.email, "name": user.name}
                    if user is not None
                    else None
                ),
                "workspace": {
                    "id": str(credential.workspace.pk),
                    "name": credential.workspace.name,
                },
                "scopes": sorted(credential.granted),
                "auth": credential.kind,
            }
        )
