"""Shared fixtures: a workspace with its owner, another workspace, and an actor."""

from __future__ import annotations

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
