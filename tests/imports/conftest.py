from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture(autouse=True)
def _files_in_tmp(media):
    """Every test here uploads files: they go to a temporary MEDIA_ROOT."""
    return media


def upload(name: str, content: bytes | None = None) -> SimpleUploadedFile:
    """A file from tests/data (or the given bytes) as the browser would send it."""
    if content is None:
        content = (DATA / name).read_bytes()
    return SimpleUploadedFile(name, content, content_type="text/csv")
