"""Every model of our apps has an admin, and its list page renders."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin

from tests.admin.conftest import admin_url

OUR_MODELS = [
    model
    for label in ("accounts", "crm", "pipelines")
    for model in apps.get_app_config(label).get_models()
    if not model._meta.auto_created
]


@pytest.mark.parametrize("model", OUR_MODELS, ids=[m.__name__ for m in OUR_MODELS])
def test_model_is_registered(model):
    assert admin.site.is_registered(model), f"{model.__name__} has no admin"


@pytest.mark.django_db
@pytest.mark.parametrize("model", OUR_MODELS, ids=[m.__name__ for m in OUR_MODELS])
def test_changelist_renders(admin_client, model):
    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
