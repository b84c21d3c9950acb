"""factory_boy factories. Records are built directly (fast); tests of writes call services."""

from __future__ import annotations

import factory
from django.utils import timezone

from accounts.models import ApiKey, Membership, Role, User, Workspace
from crm.models import (
    Activity,
    Company,
    CompanyMembership,
    Contact,
    ContactEmail,
    CustomField,
    List,
    Note,
    Tag,
    Task,
)
from pipelines.models import Deal, Pipeline, Stage


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", "password")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class WorkspaceFactory(factory.django.DjangoModelFactory):
    """Created through ``workspace_create`` so it starts like a real one."""

    class Meta:
        model = Workspace

    name = factory.Sequence(lambda n: f"Workspace {n}")
    owner = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from accounts.services.workspaces import workspace_create

        return workspace_create(**kwargs)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    workspace = factory.SubFactory(WorkspaceFactory)
    role = Role.MEMBER


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"tag-{n}")


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Faker("company")
    domain = factory.Sequence(lambda n: f"company{n}.example.com")
    industry = "Software"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact
        skip_postgeneration_save = True

    workspace = factory.SubFactory(WorkspaceFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    job_title = "Buyer"

    @factory.post_generation
    def with_email_row(obj, create, extracted, **kwargs):
        if create and obj.email:
            ContactEmail.objects.create(
                workspace_id=obj.workspace_id, contact=obj, value=obj.email, is_primary=True
            )


class CompanyMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompanyMembership

    contact = factory.SubFactory(ContactFactory)
    company = factory.SubFactory(
        CompanyFactory, workspace=factory.SelfAttribute("..contact.workspace")
    )
    workspace = factory.SelfAttribute("contact.workspace")
    role = "Buyer"


class PipelineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pipeline

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Pipeline {n}")
    position = factory.Sequence(lambda n: n + 10)


class StageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stage

    pipeline = factory.SubFactory(PipelineFactory)
    workspace = factory.SelfAttribute("pipeline.workspace")
    name = factory.Sequence(lambda n: f"Stage {n}")
    position = factory.Sequence(lambda n: n + 100)


def default_stage(workspace: Workspace, kind: str = "open") -> Stage:
    return (
        Stage.objects.for_workspace(workspace)
        .filter(pipeline__is_default=True, kind=kind)
        .order_by("position")
        .first()
    )


class DealFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deal

    workspace = factory.SubFactory(WorkspaceFactory)
    stage = factory.LazyAttribute(lambda o: default_stage(o.workspace))
    pipeline = factory.LazyAttribute(lambda o: o.stage.pipeline)
    title = factory.Sequence(lambda n: f"Deal {n}")
    amount = 1000
    currency = "USD"
    position = factory.Sequence(lambda n: n)
    stage_entered_at = factory.LazyFunction(timezone.now)


class NoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Note

    workspace = factory.SelfAttribute("contact.workspace")
    subject_type = "contact"
    subject_id = factory.SelfAttribute("contact.pk")
    body = "A note"
    body_html = "<p>A note</p>"

    class Params:
        contact = factory.SubFactory(ContactFactory)


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    workspace = factory.SubFactory(WorkspaceFactory)
    title = factory.Sequence(lambda n: f"Task {n}")


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    workspace = factory.SelfAttribute("contact.workspace")
    type = "call"
    subject = "Intro call"
    subject_type = "contact"
    subject_id = factory.SelfAttribute("contact.pk")
    occurred_at = factory.LazyFunction(timezone.now)

    class Params:
        contact = factory.SubFactory(ContactFactory)


class CustomFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomField

    workspace = factory.SubFactory(WorkspaceFactory)
    object_type = "contact"
    key = factory.Sequence(lambda n: f"field_{n}")
    label = factory.Sequence(lambda n: f"Field {n}")
    type = "text"


class ListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = List

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"List {n}")
    object_type = "contact"


class ApiKeyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApiKey

    workspace = factory.SubFactory(WorkspaceFactory)
    name = "Test key"
    prefix = factory.Sequence(lambda n: f"{n:08d}")
    secret_hash = "0" * 64
    scopes = factory.LazyFunction(lambda: ["crm:read"])


class InvitationFactory(factory.django.DjangoModelFactory):
    """An open invitation (its token unknown: tests that open the link use the service)."""

    class Meta:
        model = "accounts.Invitation"

    workspace = factory.SubFactory(WorkspaceFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = Role.MEMBER
    token_hash = factory.Sequence(lambda n: f"{n:064x}")

    @factory.lazy_attribute
    def expires_at(self):
        from accounts.models import INVITATION_LIFETIME

        return timezone.now() + INVITATION_LIFETIME
