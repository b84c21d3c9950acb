"""Files attached to records: stored once, typed by their content, never by the client."""

from __future__ import annotations

import hashlib
from typing import Any

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from accounts.models import Workspace
from accounts.services.common import Actor, ServiceError
from crm.models import Attachment, AttachmentSubject, Note
from crm.services.subjects import subject_resolve


class FileTooLarge(ServiceError):
    code = 413


def sniff_content_type(head: bytes) -> str:
    """The type the bytes say they are; text if they decode as UTF-8, else octet-stream."""
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character cut at the end of the sample is still text.
        try:
            head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return "application/octet-stream"
    return "text/plain"


def _resolve(workspace: Workspace, subject_type: str, subject_id: Any) -> Any:
    if subject_type == AttachmentSubject.NOTE:
        note = Note.objects.for_workspace(workspace).filter(pk=subject_id).first()
        if note is None:
            raise ValidationError({"subject_id": ["No such note."]})
        return note
    if subject_type not in AttachmentSubject.values:
        raise ValidationError({"subject_type": ["Must be contact, company, deal or note."]})
    return subject_resolve(workspace=workspace, subject_type=subject_type, subject_id=subject_id)


@transaction.atomic
def attachment_create(
    *,
    workspace: Workspace,
    actor: Actor,
    subject_type: str,
    subject_id: Any,
    upload: UploadedFile,
) -> Attachment:
    """Store ``upload`` on a record. Over the size limit → FileTooLarge (413)."""
    if upload.size is None or upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise FileTooLarge(
            f"Files may be at most {settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)} MB."
        )
    subject = _resolve(workspace, subject_type, subject_id)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    name = (upload.name or "file").replace("/", "_").replace("\\", "_")[-255:]
    attachment = Attachment(
        workspace=workspace,
        subject_type=subject_type,
        subject_id=subject.pk,
        filename=name,
        content_type=sniff_content_type(head),
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor.user,
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    return attachment


@transaction.atomic
def attachment_delete(*, attachment: Attachment, actor: Actor) -> None:
    storage, path = attachment.file.storage, attachment.file.name
    attachment.delete()
    # The file goes once the row is gone for good.
    transaction.on_commit(lambda: storage.delete(path))
