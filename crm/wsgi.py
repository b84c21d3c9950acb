"""WSGI entry point (gunicorn crm.wsgi)."""

import os

from crm.embedded import bootstrap

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
bootstrap()

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
