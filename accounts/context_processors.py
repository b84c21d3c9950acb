from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.models import Membership


def workspace(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    user = getattr(request, "user", None)

    def memberships() -> list[Membership]:
        if user is None or not user.is_authenticated:
            return []
        return list(
            Membership.objects.filter(user=user)
            .select_related("workspace")
            .order_by("workspace__name")
        )

    return {
        "current_membership": membership if membership else None,
        "current_workspace": membership.workspace if membership else None,
        # Lazy, and one query whatever the number of workspaces (for the switcher).
        "user_memberships": SimpleLazyObject(memberships),
    }
