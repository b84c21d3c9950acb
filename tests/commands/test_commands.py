"""The management commands: create_workspace, create_api_key and seed_demo."""

from __future__ import annotations

import datetime
import io
import itertools
import re
from collections import Counter, defaultdict

import phonenumbers
import pytest
from django.conf import settings
from django.contrib.postgres.search import SearchQuery
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import ApiKey, Membership, Role, User, Workspace
from accounts.services.api_keys import api_key_authenticate
from crm.models import (
    Activity,
    Company,
    CompanyMembership,
    CompanyPhone,
    Contact,
    ContactEmail,
    ContactPhone,
    Note,
    Tag,
    Task,
    TimelineEvent,
)
from crm.normalize import render_markdown
from pipelines.models import Deal, DealContact, LostReason, Pipeline, Stage, StageHistory
from pipelines.services.deals import deal_create
from tests.factories import UserFactory

E164 = re.compile(r"^\+[1-9][0-9]{3,14}$")
KEY_LINE = re.compile(r"^ak_[a-z0-9]{8}_[A-Za-z0-9_-]{20,}\n$")


def run(command: str, /, *args, **options) -> tuple[str, str]:
    """Run a command; its (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def seed(**options) -> tuple[str, str]:
    return run("seed_demo", verbosity=1, **options)


# --- create_workspace -------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_workspace_creates_owner_with_the_given_password():
    # when
    out, err = run(
        "create_workspace", "Acme Sales", owner="Ada@Example.com", password="s3cret-Passw0rd!"
    )

    # then
    workspace = Workspace.objects.get()
    assert out == f"{workspace.slug}\n"
    assert workspace.slug == "acme-sales"
    assert workspace.name == "Acme Sales"
    user = User.objects.get()
    assert user.email == "Ada@example.com"
    assert user.check_password("s3cret-Passw0rd!")
    assert Membership.objects.get(workspace=workspace).user == user
    assert Membership.objects.get(workspace=workspace).role == Role.OWNER
    # A new workspace starts like any other: with the default pipeline.
    assert Pipeline.objects.for_workspace(workspace).filter(is_default=True).exists()
    assert "s3cret" not in out + err


@pytest.mark.django_db
def test_create_workspace_generates_a_password_and_prints_it_once():
    # when
    out, err = run("create_workspace", "Acme", owner="new@example.com")

    # then
    assert out == "acme\n"
    match = re.search(r"password \(shown only this once\): (\S+)", err)
    assert match, err
    assert err.count(match.group(1)) == 1
    assert User.objects.get(email="new@example.com").check_password(match.group(1))


@pytest.mark.django_db
def test_create_workspace_reuses_an_existing_owner_case_insensitively(user):
    # given: the `user` fixture is owner@example.com with the password "password"
    # when
    out, err = run(
        "create_workspace", "Second", owner="OWNER@example.com", password="ignored-pw-123"
    )

    # then
    assert User.objects.count() == 1
    user.refresh_from_db()
    assert user.check_password("password")
    assert "ignored" in err
    assert Membership.objects.get(workspace__slug=out.strip()).user == user


@pytest.mark.django_db
def test_create_workspace_with_a_slug_and_a_taken_slug(workspace):
    out, _ = run("create_workspace", "Sales EU", owner="eu@example.com", slug="sales-eu")
    assert out == "sales-eu\n"

    with pytest.raises(CommandError, match="taken"):
        run("create_workspace", "Other", owner="eu@example.com", slug="sales-eu")
    with pytest.raises(CommandError, match="not a valid slug"):
        run("create_workspace", "Other", owner="eu@example.com", slug="no spaces!")


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["not-an-email", "a@b", "", "two@@example.com"])
def test_create_workspace_rejects_an_invalid_email(email):
    with pytest.raises(CommandError, match="not a valid email address") as error:
        run("create_workspace", "Acme", owner=email)

    assert error.value.returncode == 1
    assert not User.objects.exists()
    assert not Workspace.objects.exists()


@pytest.mark.django_db
def test_create_workspace_rejects_a_blank_name_a_weak_password_and_a_missing_owner():
    with pytest.raises(CommandError, match="name"):
        run("create_workspace", "   ", owner="a@example.com")
    with pytest.raises(CommandError, match="Password"):
        run("create_workspace", "Acme", owner="a@example.com", password="123")
    with pytest.raises(CommandError, match="--owner"):
        call_command("create_workspace", "Acme", stdout=io.StringIO(), stderr=io.StringIO())
    # Nothing half-made is left behind.
    assert not User.objects.exists()
    assert not Workspace.objects.exists()


@pytest.mark.django_db
def test_create_workspace_leaves_no_user_behind_when_the_workspace_fails():
    with pytest.raises(CommandError, match="name"):
        run("create_workspace", "x" * 200, owner="long@example.com", password="s3cret-Passw0rd!")

    assert not User.objects.filter(email="long@example.com").exists()


# --- create_api_key ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_api_key_prints_only_the_key_which_authenticates(workspace):
    # when
    out, err = run(
        "create_api_key", workspace=workspace.slug, name="Zapier", scopes="crm:read crm:write"
    )

    # then: one line on stdout, the key and nothing else
    assert KEY_LINE.match(out), out
    assert out.count("\n") == 1
    raw = out.strip()
    key = api_key_authenticate(raw)
    assert key is not None
    assert key.workspace_id == workspace.pk
    assert key.name == "Zapier"
    assert key.scopes == ["crm:read", "crm:write"]
    assert key.expires_at is None
    # The other messages are on stderr, and the secret is not among them.
    assert "Zapier" in err
    assert raw.split("_", 2)[2] not in err


@pytest.mark.django_db
def test_create_api_key_with_comma_separated_scopes_and_an_expiry(workspace):
    out, _ = run(
        "create_api_key",
        "--workspace",
        workspace.slug,
        "--name",
        "Reporting",
        "--scopes",
        "contacts:read,deals:read",
        "--expires-in-days",
        "30",
    )

    key = api_key_authenticate(out.strip())
    assert key.scopes == ["contacts:read", "deals:read"]
    expected = timezone.now() + datetime.timedelta(days=30)
    assert abs(key.expires_at - expected) < datetime.timedelta(minutes=1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"workspace": "nope", "scopes": "crm:read"}, "No workspace with the slug 'nope'"),
        ({"scopes": "crm:read crm:admin"}, r"Unknown scope: crm:admin\. Valid scopes: "),
        ({"scopes": "everything,all"}, "Unknown scopes: everything, all"),
        ({"scopes": "  "}, "at least one scope"),
        ({"scopes": "crm:read", "name": "  "}, "name: Give the key a name"),
        ({"scopes": "crm:read", "expires_in_days": 0}, "expires_in_days: Must be between 1"),
        ({"scopes": "crm:read", "expires_in_days": 10**9}, "expires_in_days: Must be between 1"),
    ],
)
def test_create_api_key_errors(workspace, options, message):
    options = {"workspace": workspace.slug, "name": "Key", **options}

    with pytest.raises(CommandError, match=message) as error:
        run("create_api_key", **options)

    assert error.value.returncode == 1
    assert not ApiKey.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_create_api_key_exits_non_zero_from_the_command_line(capsys):
    from accounts.management.commands.create_api_key import Command

    with pytest.raises(SystemExit) as exit_info:
        Command().run_from_argv(
            ["manage.py", "create_api_key", "--workspace", "missing", "--name", "K",
             "--scopes", "crm:read"]
        )  # fmt: skip

    assert exit_info.value.code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "No workspace with the slug 'missing'" in captured.err


# --- seed_demo ----------------------------------------------------------------------------------


def assert_consistent(workspace: Workspace) -> None:
    """What the services guarantee, checked on a seeded workspace."""
    contacts = list(Contact.objects.for_workspace(workspace))
    # Emails: unique case-insensitively, each the contact's primary ContactEmail.
    emails = [c.email.lower() for c in contacts]
    assert all(emails)
    assert len(set(emails)) == len(emails)
    primaries = dict(
        ContactEmail.objects.for_workspace(workspace)
        .filter(is_primary=True)
        .values_list("contact_id", "value")
    )
    assert {c.pk: c.email for c in contacts} == primaries
    one_primary = (
        ContactEmail.objects.for_workspace(workspace)
        .values("contact_id")
        .annotate(n=Count("id", filter=Q(is_primary=True)))
    )
    assert {row["n"] for row in one_primary} == {1}
    assert all(c.full_name == f"{c.first_name} {c.last_name}" for c in contacts)

    # Phones: E.164 and valid numbers, one primary per contact that has any.
    for model in (ContactPhone, CompanyPhone):
        values = list(model.objects.for_workspace(workspace).values_list("value", flat=True))
        assert values
        for value in values:
            assert E164.match(value), value
            assert phonenumbers.is_valid_number(phonenumbers.parse(value)), value
    phones_per_contact = Counter(
        ContactPhone.objects.for_workspace(workspace)
        .filter(is_primary=True)
        .values_list("contact_id", flat=True)
    )
    assert set(phones_per_contact.values()) == {1}

    # Companies: unique domains; a contact's company is their primary membership's.
    domains = list(Company.objects.for_workspace(workspace).values_list("domain", flat=True))
    assert all(domains)
    assert len({d.lower() for d in domains}) == len(domains)
    primary_company = dict(
        CompanyMembership.objects.for_workspace(workspace)
        .filter(is_primary=True)
        .values_list("contact_id", "company_id")
    )
    assert {c.pk: c.company_id for c in contacts if c.company_id} == primary_company
    for membership in CompanyMembership.objects.for_workspace(workspace).filter(is_primary=False):
        assert membership.ended_at is not None
        assert membership.started_at <= membership.ended_at

    # Deals: in a stage of their own pipeline, status from the stage, positions 0..n-1.
    deals = list(Deal.objects.for_workspace(workspace).select_related("stage"))
    positions = defaultdict(list)
    for deal in deals:
        assert deal.stage.pipeline_id == deal.pipeline_id
        assert deal.status == deal.stage.kind
        assert (deal.closed_at is None) == (deal.status == "open")
        if deal.status == "lost":
            reasons = set(
                LostReason.objects.filter(pipeline_id=deal.pipeline_id).values_list(
                    "name", flat=True
                )
            )
            assert deal.lost_reason in reasons
        else:
            assert deal.lost_reason == ""
        assert deal.currency in {"USD", "EUR", "GBP"}
        assert deal.amount is None or deal.amount >= 500
        positions[deal.stage_id].append(deal.position)
    for stage_positions in positions.values():
        assert sorted(stage_positions) == list(range(len(stage_positions)))

    # Stage history: a chain per deal, ending (open) in the deal's stage.
    history = defaultdict(list)
    for row in StageHistory.objects.for_workspace(workspace).order_by("entered_at"):
        history[row.deal_id].append(row)
    for deal in deals:
        rows = history[deal.pk]
        assert rows, deal
        assert rows[-1].stage_id == deal.stage_id
        assert rows[-1].left_at is None
        assert rows[-1].entered_at == deal.stage_entered_at
        assert rows[0].from_stage_id is None
        for before, after in itertools.pairwise(rows):
            assert before.left_at == after.entered_at
            assert after.from_stage_id == before.stage_id
            assert before.stage.pipeline_id == deal.pipeline_id

    # Deal contacts and activity participants are people of the same workspace.
    contact_ids = {c.pk for c in contacts}
    assert (
        set(
            DealContact.objects.filter(deal__workspace=workspace).values_list(
                "contact_id", flat=True
            )
        )
        <= contact_ids
    )
    assert (
        set(
            Activity.participants.through.objects.filter(activity__workspace=workspace).values_list(
                "contact_id", flat=True
            )
        )
        <= contact_ids
    )

    # Timeline: "created" for every record, one event per note, activity and stage move.
    events = TimelineEvent.objects.for_workspace(workspace)
    created = Counter(events.filter(verb="created").values_list("subject_type", flat=True))
    assert created == {
        "contact": len(contacts),
        "company": len(domains),
        "deal": len(deals),
    }
    assert events.filter(verb="note_added").count() == Note.objects.for_workspace(workspace).count()
    assert (
        events.filter(verb="activity_logged").count()
        == Activity.objects.for_workspace(workspace).count()
    )
    moves = sum(len(rows) - 1 for rows in history.values())
    assert events.filter(verb="stage_changed").count() == moves
    subject_tasks = Task.objects.for_workspace(workspace).exclude(subject_type="")
    assert events.filter(verb="task_added").count() == subject_tasks.count()
    assert (
        events.filter(verb="task_completed").count()
        == subject_tasks.filter(completed_at__isnull=False).count()
    )
    subjects = {
        "contact": contact_ids,
        "company": set(Company.objects.for_workspace(workspace).values_list("pk", flat=True)),
        "deal": {d.pk for d in deals},
    }
    for subject_type, subject_id in events.values_list("subject_type", "subject_id"):
        assert subject_id in subjects[subject_type]
    for model in (Note, Activity):
        for subject_type, subject_id in model.objects.for_workspace(workspace).values_list(
            "subject_type", "subject_id"
        ):
            assert subject_id in subjects[subject_type]

    # Notes are stored with the HTML the services would render.
    for note in Note.objects.for_workspace(workspace):
        assert note.body_html == render_markdown(note.body)

    # Records belong to members who may own them; owners are skewed, not uniform.
    members = set(
        Membership.objects.filter(workspace=workspace)
        .exclude(role=Role.VIEWER)
        .values_list("user_id", flat=True)
    )
    owners = Counter(c.owner_id for c in contacts)
    assert set(owners) - {None} <= members

    # Search works on the generated columns.
    some = contacts[0]
    query = SearchQuery(some.last_name, config="simple")
    assert some in Contact.objects.for_workspace(workspace).filter(search_vector=query)


@pytest.mark.django_db
def test_seed_demo_into_a_workspace_creates_the_counts_asked_for(workspace, member):
    # when
    out, _ = seed(workspace=workspace.slug, contacts=120, companies=15, deals=50)

    # then
    assert Contact.objects.for_workspace(workspace).count() == 120
    assert Company.objects.for_workspace(workspace).count() == 15
    assert Deal.objects.for_workspace(workspace).count() == 50
    assert Note.objects.for_workspace(workspace).exists()
    assert Activity.objects.for_workspace(workspace).values("type").distinct().count() == 3
    assert Tag.objects.for_workspace(workspace).exists()
    assert f"Seeded workspace '{workspace.slug}': 120 contacts, 15 companies, 50 deals" in out
    assert re.search(r"in \d+\.\d s\.", out)
    assert_consistent(workspace)


@pytest.mark.django_db
def test_seed_demo_tasks_are_overdue_due_today_done_and_ahead(workspace):
    seed(workspace=workspace.slug, contacts=200, companies=20, deals=80)

    now = timezone.now()
    today = timezone.localdate(now, timezone=datetime.UTC)
    tasks = Task.objects.for_workspace(workspace)
    open_tasks = tasks.filter(completed_at__isnull=True)
    assert tasks.filter(completed_at__isnull=False).exists()
    assert open_tasks.filter(due_at__lt=now - datetime.timedelta(hours=1)).exists()
    assert open_tasks.filter(due_at__date=today).exists()
    assert open_tasks.filter(due_at__gt=now + datetime.timedelta(days=1)).exists()
    assert tasks.filter(subject_type="").exists()


@pytest.mark.django_db
def test_seed_demo_spreads_deals_over_stages_with_won_and_lost(workspace):
    seed(workspace=workspace.slug, contacts=100, companies=20, deals=150)

    deals = Deal.objects.for_workspace(workspace)
    assert (
        deals.values("stage").distinct().count() == Stage.objects.for_workspace(workspace).count()
    )
    assert deals.filter(status="won").exists()
    lost = deals.filter(status="lost")
    assert lost.exists()
    assert not lost.filter(lost_reason="").exists()
    assert deals.filter(status="open", expected_close_date__isnull=False).exists()
    assert DealContact.objects.filter(deal__workspace=workspace).exists()


@pytest.mark.django_db
def test_seed_demo_tag_usage_is_skewed(workspace):
    seed(workspace=workspace.slug, contacts=300, companies=10, deals=0)

    usage = sorted(
        Tag.objects.for_workspace(workspace)
        .annotate(n=Count("contacts"))
        .values_list("n", flat=True),
        reverse=True,
    )
    assert usage[0] >= 5 * max(1, usage[len(usage) // 2])


@pytest.mark.django_db
def test_seed_demo_creates_the_demo_workspace_with_its_login_and_team():
    # when
    out, _ = seed(contacts=40, companies=8, deals=20)

    # then
    workspace = Workspace.objects.get(slug=settings.DEMO_WORKSPACE_SLUG)
    demo_user = User.objects.get(email=settings.DEMO_USER_EMAIL)
    assert demo_user.check_password(settings.DEMO_USER_PASSWORD)
    assert demo_user.is_staff
    assert demo_user.is_superuser
    assert f"{settings.DEMO_USER_EMAIL} / {settings.DEMO_USER_PASSWORD}" in out
    roles = Counter(Membership.objects.filter(workspace=workspace).values_list("role", flat=True))
    assert roles[Role.OWNER] == 1
    assert roles[Role.ADMIN] >= 1
    assert roles[Role.MEMBER] >= 1
    assert roles[Role.VIEWER] >= 1
    assert Membership.objects.get(workspace=workspace, role=Role.OWNER).user == demo_user
    assert Pipeline.objects.for_workspace(workspace).count() == 2
    assert Contact.objects.for_workspace(workspace).count() == 40
    assert Company.objects.for_workspace(workspace).count() == 8
    assert Deal.objects.for_workspace(workspace).count() == 20
    # Several members own records, a few of them most.
    owners = Counter(
        Contact.objects.for_workspace(workspace).values_list("owner__email", flat=True)
    )
    assert len([email for email in owners if email]) >= 3
    assert owners.most_common(1)[0][1] > 40 / 5
    viewer = Membership.objects.get(workspace=workspace, role=Role.VIEWER).user
    assert viewer.email not in owners
    assert_consistent(workspace)


@pytest.mark.django_db
def test_seed_demo_defaults_are_small():
    seed()

    workspace = Workspace.objects.get(slug=settings.DEMO_WORKSPACE_SLUG)
    assert Contact.objects.for_workspace(workspace).count() == 300
    assert Company.objects.for_workspace(workspace).count() == 60
    assert Deal.objects.for_workspace(workspace).count() == 120


@pytest.mark.django_db
def test_seed_demo_if_empty_loads_once():
    # given
    out, _ = seed(if_empty=True, contacts=25, companies=5, deals=10)
    assert "Demo login" in out
    counts = {
        model: model.objects.count()
        for model in (User, Workspace, Contact, Company, Deal, TimelineEvent, Note, Task)
    }

    # when
    out, _ = seed(if_empty=True, contacts=25, companies=5, deals=10)

    # then
    assert "Demo workspace already loaded" in out
    assert "Seeded" not in out
    assert {model: model.objects.count() for model in counts} == counts


@pytest.mark.django_db
def test_seed_demo_if_empty_fills_an_existing_empty_demo_workspace(user):
    # given: a demo workspace made by hand, without contacts
    from accounts.services.workspaces import workspace_create

    workspace = workspace_create(name="Demo", owner=user, slug=settings.DEMO_WORKSPACE_SLUG)

    # when
    seed(if_empty=True, contacts=10, companies=3, deals=5)

    # then
    assert Contact.objects.for_workspace(workspace).count() == 10
    # The demo login can open it.
    demo_user = User.objects.get(email=settings.DEMO_USER_EMAIL)
    assert Membership.objects.filter(workspace=workspace, user=demo_user).exists()


@pytest.mark.django_db
def test_seed_demo_into_another_workspace_leaves_the_demo_alone(workspace):
    # given
    seed(contacts=20, companies=4, deals=8)
    demo = Workspace.objects.get(slug=settings.DEMO_WORKSPACE_SLUG)
    models = (Contact, Company, Deal, Note, Task, Activity, TimelineEvent, StageHistory, Tag)
    before = {model: model.objects.for_workspace(demo).count() for model in models}
    demo_ids = set(Contact.objects.for_workspace(demo).values_list("pk", flat=True))
    demo_members = set(Membership.objects.filter(workspace=demo).values_list("user_id", "role"))

    # when
    seed(workspace=workspace.slug, contacts=30, companies=5, deals=10)

    # then
    assert {model: model.objects.for_workspace(demo).count() for model in models} == before
    assert set(Contact.objects.for_workspace(demo).values_list("pk", flat=True)) == demo_ids
    assert (
        set(Membership.objects.filter(workspace=demo).values_list("user_id", "role"))
        == demo_members
    )
    assert Contact.objects.for_workspace(workspace).count() == 30
    # The seed did not add the demo team to the other workspace.
    assert Membership.objects.filter(workspace=workspace).count() == 1
    assert_consistent(workspace)


@pytest.mark.django_db
def test_seed_demo_twice_adds_to_a_workspace_without_clashes(workspace, actor):
    # given: a deal made through the service, and a first seed
    deal_create(workspace=workspace, actor=actor, title="Hand-made")
    seed(workspace=workspace.slug, contacts=60, companies=10, deals=30)

    # when: the same seed again (same names, so the same emails and domains come up)
    seed(workspace=workspace.slug, contacts=60, companies=10, deals=30)

    # then
    assert Contact.objects.for_workspace(workspace).count() == 120
    assert Company.objects.for_workspace(workspace).count() == 20
    assert Deal.objects.for_workspace(workspace).count() == 61
    assert Tag.objects.for_workspace(workspace).count() == len(
        set(Tag.objects.for_workspace(workspace).values_list("name", flat=True))
    )
    hand_made = Deal.objects.get(title="Hand-made")
    assert hand_made.position == 0
    assert_consistent(workspace)


@pytest.mark.django_db
def test_seed_demo_is_reproducible_with_a_seed():
    first = workspace_with_owner("one")
    second = workspace_with_owner("two")

    seed(workspace=first.slug, contacts=30, companies=6, deals=10, seed=7)
    seed(workspace=second.slug, contacts=30, companies=6, deals=10, seed=7)

    def names(workspace):
        return list(
            Contact.objects.for_workspace(workspace)
            .order_by("created_at")
            .values_list("first_name", "last_name", "email")
        )

    assert names(first) == names(second)
    titles = sorted(Deal.objects.for_workspace(first).values_list("title", "amount"))
    assert titles == sorted(Deal.objects.for_workspace(second).values_list("title", "amount"))


def workspace_with_owner(slug: str) -> Workspace:
    from accounts.services.workspaces import workspace_create

    return workspace_create(name=slug.title(), owner=UserFactory(), slug=slug)


@pytest.mark.django_db
def test_seed_demo_with_zero_counts_and_no_companies(workspace):
    seed(workspace=workspace.slug, contacts=15, companies=0, deals=5)

    assert Contact.objects.for_workspace(workspace).count() == 15
    assert not Contact.objects.for_workspace(workspace).filter(company__isnull=False).exists()
    assert Deal.objects.for_workspace(workspace).count() == 5
    assert_consistent_without_companies(workspace)

    seed(workspace=workspace.slug, contacts=0, companies=0, deals=0)
    assert Contact.objects.for_workspace(workspace).count() == 15


def assert_consistent_without_companies(workspace: Workspace) -> None:
    emails = list(Contact.objects.for_workspace(workspace).values_list("email", flat=True))
    assert len({e.lower() for e in emails}) == len(emails)
    assert all(e.endswith(("example.com", "example.net", "example.org")) for e in emails)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"workspace": "nope"}, "No workspace with the slug 'nope'"),
        ({"contacts": -1}, "--contacts must be a whole number"),
        ({"deals": "many"}, "--deals must be a whole number"),
    ],
)
def test_seed_demo_errors(options, message):
    with pytest.raises(CommandError, match=message):
        seed(**options)

    assert not Contact.objects.exists()
    assert not Workspace.objects.filter(slug=settings.DEMO_WORKSPACE_SLUG).exists()


@pytest.mark.django_db
def test_seed_demo_rejects_bad_counts_on_the_command_line():
    with pytest.raises(CommandError, match="must be a whole number"):
        call_command("seed_demo", "--contacts", "-5", stdout=io.StringIO())
    with pytest.raises(CommandError, match="must be a whole number"):
        call_command("seed_demo", "--companies", "lots", stdout=io.StringIO())


@pytest.mark.django_db
def test_seed_demo_is_quiet_at_verbosity_zero(workspace):
    out, err = run("seed_demo", workspace=workspace.slug, contacts=5, companies=1, deals=1,
                   verbosity=0)  # fmt: skip

    assert out == ""
    assert err == ""
    assert Contact.objects.for_workspace(workspace).count() == 5


@pytest.mark.django_db
def test_seed_demo_with_duplicates_plants_a_few_for_the_review_queue():
    from crm.services.duplicates import duplicate_groups

    call_command(
        "seed_demo", contacts=40, companies=10, deals=5, with_duplicates=True, stdout=io.StringIO()
    )
    workspace = Workspace.objects.get(slug=settings.DEMO_WORKSPACE_SLUG)
    assert Contact.objects.for_workspace(workspace).count() == 43
    groups = duplicate_groups(workspace=workspace, object_type="contact")
    assert len(groups) >= 3
