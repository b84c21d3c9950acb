"""Shared fixtures: a workspace with its owner, another workspace, and an actor."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from accounts.models import Role
from accounts.services.common import Actor
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory


def pytest_configure(config):
    # Tests speak plain HTTP to the test client; production redirects to HTTPS.
    from django.conf import settings

    settings.SECURE_SSL_REDIRECT = False
    # No collectstatic before tests: resolve {% static %} without the manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def user(db):
    return UserFactory(email="owner@example.com", name="Olive Owner")


@pytest.fixture
def workspace(user):
    """A workspace set up the way a new one is (default pipeline included), owned by ``user``."""
    return WorkspaceFactory(owner=user)


@pytest.fixture
def actor(user, workspace) -> Actor:
    return Actor(user=user, role=Role.OWNER)


@pytest.fixture
def member(workspace):
    membership = MembershipFactory(workspace=workspace, role=Role.MEMBER)
    return membership.user


@pytest.fixture
def other_workspace(db):
    return WorkspaceFactory(owner=UserFactory())


@pytest.fixture
def media(settings, tmp_path):
    """Uploaded and generated files go to a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def worker(django_capture_on_commit_callbacks):
    """``with worker():`` runs the Celery jobs the block enqueues, in this process, once its
    transaction commits (the way a worker would pick them up)."""
    from crm.celery import app

    @contextmanager
    def run():
        app.conf.task_always_eager = True
        try:
            with django_capture_on_commit_callbacks(execute=True):
                yield
        finally:
            app.conf.task_always_eager = False

    return run
