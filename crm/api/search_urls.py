"""URLs of this part of the API (included from crm/api_urls.py)."""

urlpatterns: list = []
