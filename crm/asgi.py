"""ASGI entry point."""

import os

from crm.embedded import bootstrap

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
bootstrap()

from django.core.asgi import get_asgi_application  # noqa: E402

application = get_asgi_application()
