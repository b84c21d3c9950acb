"""Production serves static files from ``collectstatic`` output with hashed names; every file
(the vendored ones included) must go through the manifest storage without a missing reference."""

from __future__ import annotations

from pathlib import Path

from django.core.management import call_command
from django.test import override_settings


def test_collectstatic_with_the_production_storage(tmp_path: Path) -> None:
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
    manifest = (tmp_path / "staticfiles.json").read_text()
    for name in ("css/app.css", "js/app.js", "vendor/chartjs/chart.umd.min.js"):
        assert f'"{name}"' in manifest
    assert list(tmp_path.glob("css/app.*.css.gz")), "compressed copies are written"
