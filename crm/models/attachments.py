from __future__ import annotations

from django.conf import settings
from django.db import models

from accounts.models import TenantModel


class AttachmentSubject(models.TextChoices):
    CONTACT = "contact", "Contact"
    COMPANY = "company", "Company"
    DEAL = "deal", "Deal"
    NOTE = "note", "Note"


def attachment_path(instance: Attachment, filename: str) -> str:
    # Not guessable and never public: downloads go through an authorised view.
    return f"attachments/{instance.workspace_id}/{instance.pk}"


class Attachment(TenantModel):
    """A file on a contact, company, deal or note, stored through Django's storage API."""

    subject_type = models.CharField(max_length=10, choices=AttachmentSubject.choices)
    subject_id = models.UUIDField()
    file = models.FileField(upload_to=attachment_path, max_length=300)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100, help_text="Sniffed from the content")
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(subject_type__in=AttachmentSubject.values),
                name="attachment_subject_type_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["workspace", "subject_type", "subject_id", "-created_at"],
                name="attachment_subject_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.filename
