"""The CRM core app, and the project wiring (settings, URLs, Celery, embedded services)."""
