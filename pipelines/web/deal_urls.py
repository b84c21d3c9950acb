"""Page URLs of this part of the web app (included from crm/urls.py)."""

urlpatterns: list = []
