from accounts.models.api_keys import ApiKey
from accounts.models.base import TenantModel, TimestampedModel, UUIDModel, uuid7
from accounts.models.idempotency import IdempotencyKey
from accounts.models.invitations import INVITATION_LIFETIME, Invitation, InvitationStatus
from accounts.models.users import User
from accounts.models.workspaces import ROLE_RANK, Membership, Role, Workspace

__all__ = [
    "INVITATION_LIFETIME",
    "ROLE_RANK",
    "ApiKey",
    "IdempotencyKey",
    "Invitation",
    "InvitationStatus",
    "Membership",
    "Role",
    "TenantModel",
    "TimestampedModel",
    "UUIDModel",
    "User",
    "Workspace",
    "uuid7",
]
