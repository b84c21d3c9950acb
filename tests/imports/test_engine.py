"""The import engine end to end (staging with COPY, set-based chunks), run in-process."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import ValidationError

from crm.imports import engine
from crm.imports.engine import import_revert_run, import_run
from crm.models import (
    Company,
    Contact,
    ContactPhone,
    ImportJob,
    ImportRecord,
    JobStatus,
    Tag,
    TimelineEvent,
)
from crm.services.custom_fields import custom_field_create
from crm.services.imports import import_cancel, import_create, import_error_rows, import_revert
from tests.imports.conftest import DATA as DATA_DIR
from tests.imports.conftest import upload


def _import(workspace, actor, name, content=None, **options):
    options.setdefault("object_type", "contact")
    job = import_create(workspace=workspace, actor=actor, file=upload(name, content), **options)
    return import_run(job.pk)


def _contacts(workspace):
    return Contact.objects.for_workspace(workspace)


def test_hubspot_export_is_imported_with_companies_phones_and_timeline(workspace, actor):
    job = _import(workspace, actor, "contacts_hubspot.csv", tags=["Imported 2026"])

    assert (job.status, job.total_rows, job.processed_rows) == (JobStatus.SUCCEEDED, 5, 5)
    assert (job.created, job.updated, job.skipped, job.failed) == (5, 0, 0, 0)
    assert job.companies_created == 5
    grace = _contacts(workspace).get(email="grace.hopper@navy.example")
    assert (grace.first_name, grace.last_name, grace.job_title) == (
        "Grace",
        "Hopper",
        "Rear Admiral",
    )
    assert grace.status == "active"  # HubSpot's "In Progress"
    assert grace.source == "import"
    assert grace.address == {"city": "Arlington", "state": "VA", "country": "United States"}
    assert grace.company.name == "US Navy"
    assert grace.memberships.get().is_primary
    phones = list(grace.phones.order_by("-is_primary").values_list("value", "label", "is_primary"))
    assert phones == [("+12025550143", "work", True), ("+12025550199", "mobile", False)]
    assert list(grace.emails.values_list("value", "is_primary")) == [
        ("grace.hopper@navy.example", True)
    ]
    assert [t.name for t in grace.tags.all()] == ["Imported 2026"]
    event = TimelineEvent.objects.get(subject_id=grace.pk)
    assert event.verb == "imported"
    assert event.data["action"] == "created"
    assert event.actor == actor.user
    assert TimelineEvent.objects.filter(subject_type="company", verb="imported").count() == 5
    # The search vector is a generated column: imported rows are searchable at once.
    assert _contacts(workspace).filter(search_vector="hopper").exists()


def test_the_same_import_twice_with_skip_creates_nothing_the_second_time(workspace, actor):
    first = _import(workspace, actor, "contacts_hubspot.csv")
    second = _import(workspace, actor, "contacts_hubspot.csv")
    assert first.created == 5
    assert (second.created, second.skipped, second.companies_created) == (0, 5, 0)
    assert _contacts(workspace).count() == 5
    assert Company.objects.for_workspace(workspace).count() == 5


def test_messy_rows_are_rejected_with_reasons_and_the_rest_imported(workspace, actor):
    job = _import(workspace, actor, "contacts_messy.csv")
    reasons = dict(job.rejected_rows.values_list("row_number", "reason"))

    assert reasons == {
        4: "Email: Enter a valid email address.",
        7: "Email: Enter a valid email address.",
        9: "First name: contains a NUL character.",
        13: "Last name: Must be at most 100 characters.",
        14: "Phone: 'call me maybe' is not a phone number.",
    }
    assert job.total_rows == 12
    assert job.failed == 5
    assert job.skipped == 1  # row 3 repeats row 2's email in capitals
    assert job.created == 6
    names = set(_contacts(workspace).values_list("first_name", "last_name"))
    assert ("=cmd|' /C calc'!A0", "Formula") in names  # stored as data; exports neutralise it
    assert ("Quoted, Name", "O'Brien") in names
    assert ("Short", "Row") in names
    assert ("", "") in names  # the email-only row
    jane = _contacts(workspace).get(email="jane@acme.example")
    assert sorted(t.name for t in jane.tags.all()) == ["newsletter", "vip"]


def test_error_file_has_the_rows_cells_and_neutralises_formulas(workspace, actor):
    content = b'first_name,email\n=HYPERLINK("x"),bad\nAda,ada@example.com\n'
    job = _import(workspace, actor, "formula.csv", content)
    text = "".join(import_error_rows(job=job))
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows == [
        ["Row", "Error", "first_name", "email"],
        ["2", "Email: Enter a valid email address.", '\'=HYPERLINK("x")', "bad"],
    ]


def test_dry_run_counts_and_writes_nothing(workspace, actor):
    _import(workspace, actor, "contacts_nimble.csv")  # Hedy and Ada exist now
    job = _import(workspace, actor, "contacts_hubspot.csv", on_duplicate="update", dry_run=True)
    assert job.status == JobStatus.SUCCEEDED
    assert (job.created, job.updated, job.skipped, job.failed) == (4, 1, 0, 0)
    assert job.companies_created == 4  # Analytical Engines Ltd exists (by name)
    assert _contacts(workspace).count() == 2
    assert not ImportRecord.objects.filter(job=job).exists()


def test_update_mode_then_revert_restores_and_deletes(workspace, actor):
    first = _import(workspace, actor, "contacts_nimble.csv")
    ada = _contacts(workspace).get(email__iexact="ada@analytical.example")
    assert (ada.job_title, ada.status) == ("Founder", "active")
    phones_before = ContactPhone.objects.filter(contact=ada).count()

    second = _import(workspace, actor, "contacts_hubspot.csv", on_duplicate="update")
    assert (second.created, second.updated) == (4, 1)
    ada.refresh_from_db()
    assert ada.status == "lead"  # HubSpot's "Open"
    assert ada.address["city"] == "London"
    assert ContactPhone.objects.filter(contact=ada).count() == phones_before + 1

    import_revert(job=second, actor=actor)
    import_revert_run(second.pk)
    second.refresh_from_db()
    assert second.revert_status == JobStatus.SUCCEEDED
    assert second.reverted_rows == 4 + 1 + 4  # contacts created, updated, companies created
    ada.refresh_from_db()
    assert (ada.status, ada.address) == ("active", {})
    assert ContactPhone.objects.filter(contact=ada).count() == phones_before
    assert _contacts(workspace).count() == 2
    assert set(Company.objects.for_workspace(workspace).values_list("name", flat=True)) == {
        "Hollywood Labs",
        "Analytical Engines Ltd",
    }
    assert not TimelineEvent.objects.filter(data__import_id=str(second.pk)).exists()
    assert first.created == 2


def test_revert_twice_is_refused(workspace, actor):
    job = _import(workspace, actor, "contacts_nimble.csv")
    import_revert(job=job, actor=actor)
    with pytest.raises(Exception, match="already been reverted"):
        import_revert(job=job, actor=actor)


def test_a_worker_killed_mid_import_resumes_without_doubles(workspace, actor, monkeypatch):
    monkeypatch.setattr(engine, "CHUNK_ROWS", 2)
    rows = "".join(f"Person{n},Test,p{n}@example.com\n" for n in range(9))
    content = ("first_name,last_name,email\n" + rows).encode()
    job = import_create(
        workspace=workspace, actor=actor, object_type="contact", file=upload("p.csv", content)
    )
    real = engine._write_contacts
    calls = {"n": 0}

    def dies_in_the_third_chunk(job, params):
        calls["n"] += 1
        result = real(job, params)
        if calls["n"] == 3:
            raise SystemExit("worker killed")  # after the writes, before the commit
        return result

    monkeypatch.setattr(engine, "WRITERS", {"contact": dies_in_the_third_chunk})
    with pytest.raises(SystemExit):
        import_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.last_row, job.created) == (JobStatus.RUNNING, 5, 4)
    assert _contacts(workspace).count() == 4  # the third chunk rolled back

    monkeypatch.setattr(engine, "WRITERS", {"contact": real})
    job = import_run(job.pk)
    assert (job.status, job.created, job.processed_rows) == (JobStatus.SUCCEEDED, 9, 9)
    assert _contacts(workspace).count() == 9
    assert ImportRecord.objects.filter(job=job).count() == 9


def test_cancel_stops_between_chunks(workspace, actor, monkeypatch):
    monkeypatch.setattr(engine, "CHUNK_ROWS", 2)
    content = ("email\n" + "".join(f"c{n}@example.com\n" for n in range(6))).encode()
    job = import_create(
        workspace=workspace, actor=actor, object_type="contact", file=upload("c.csv", content)
    )
    real = engine._write_contacts

    def cancel_after_first(job, params):
        result = real(job, params)
        ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)
        return result

    monkeypatch.setattr(engine, "WRITERS", {"contact": cancel_after_first})
    job = import_run(job.pk)
    assert job.status == JobStatus.CANCELLED
    assert _contacts(workspace).count() == 2
    with pytest.raises(Exception, match="already cancelled"):
        import_cancel(job=job, actor=actor)


def test_cancel_a_queued_job(workspace, actor):
    job = import_create(
        workspace=workspace, actor=actor, object_type="contact", file=upload("contacts_nimble.csv")
    )
    job = import_cancel(job=job, actor=actor)
    assert job.status == JobStatus.CANCELLED
    assert import_run(job.pk).status == JobStatus.CANCELLED
    assert not _contacts(workspace).exists()


def test_custom_fields_by_type_and_required(workspace, actor):
    custom_field_create(
        workspace=workspace,
        object_type="contact",
        key="plan",
        label="Plan",
        type="select",
        options=["Free", "Pro"],
    )
    custom_field_create(
        workspace=workspace,
        object_type="contact",
        key="seats",
        label="Seats",
        type="number",
        required=True,
    )
    content = b"email,Plan,Seats\na@example.com,Pro,5\nb@example.com,Gold,3\nc@example.com,Free,\n"
    job = _import(workspace, actor, "custom.csv", content)
    assert dict(job.rejected_rows.values_list("row_number", "reason")) == {
        3: "Plan: Must be one of: Free, Pro.",
        4: "Required custom fields missing: Seats.",
    }
    assert _contacts(workspace).get().custom_fields == {"plan": "Pro", "seats": 5}


def test_match_on_a_unique_custom_field(workspace, actor):
    custom_field_create(
        workspace=workspace,
        object_type="contact",
        key="crm_id",
        label="CRM id",
        type="text",
        unique=True,
    )
    _import(workspace, actor, "a.csv", b"first_name,crm_id\nAda,A1\n")
    job = _import(
        workspace,
        actor,
        "b.csv",
        b"first_name,crm_id\nAdeline,A1\nBob,B2\n",
        on_duplicate="update",
        match_on="custom.crm_id",
    )
    assert (job.created, job.updated) == (1, 1)
    assert sorted(_contacts(workspace).values_list("first_name", flat=True)) == ["Adeline", "Bob"]


def test_companies_import_matches_on_domain(workspace, actor):
    job = _import(workspace, actor, "companies.csv", object_type="company")
    assert (job.created, job.failed) == (3, 1)
    assert dict(job.rejected_rows.values_list("row_number", "reason")) == {
        5: "Employees: 'not a number' is not a whole number of employees."
    }
    nasa = Company.objects.for_workspace(workspace).get(domain="nasa.example")
    assert (nasa.size, str(nasa.annual_revenue)) == (18000, "25000000000.00")
    assert nasa.phones.get().value == "+12023580001"
    again = _import(workspace, actor, "companies.csv", object_type="company", on_duplicate="update")
    assert (again.created, again.updated, again.skipped, again.failed) == (0, 0, 3, 1)
    assert (
        Company.objects.for_workspace(workspace).get(domain="bletchley.example").name
        == "Bletchley Park"
    )


@pytest.mark.parametrize(
    ("options", "field", "message"),
    [
        ({"object_type": "lead"}, "object_type", "Must be one of"),
        ({"on_duplicate": "merge"}, "on_duplicate", "Must be one of"),
        ({"mapping": {"Nope": "email"}}, "mapping", "no column 'Nope'"),
        ({"mapping": {"email": "favourite_colour"}}, "mapping", "unknown field"),
        ({"mapping": {"email": "email", "phone": "email"}}, "mapping", "both go to"),
        ({"match_on": "phone"}, "match_on", "Must be one of"),
    ],
)
def test_bad_options_are_refused_by_field(workspace, actor, options, field, message):
    options = {"object_type": "contact", **options}
    content = b"email,phone\na@example.com,+14155550100\n"
    with pytest.raises(ValidationError) as error:
        import_create(workspace=workspace, actor=actor, file=upload("x.csv", content), **options)
    assert field in error.value.message_dict
    assert message in " ".join(error.value.message_dict[field])
    assert not ImportJob.objects.exists()


def test_an_unreadable_file_is_refused(workspace, actor):
    with pytest.raises(ValidationError, match="binary"):
        import_create(
            workspace=workspace,
            actor=actor,
            object_type="contact",
            file=upload("x.csv", b"\x00\x01\x02\x03" * 100),
        )


def test_unrecognised_headers_need_a_mapping(workspace, actor):
    with pytest.raises(ValidationError, match="No column name was recognised"):
        import_create(
            workspace=workspace,
            actor=actor,
            object_type="contact",
            file=upload("x.csv", b"foo,bar\n1,2\n"),
        )


def test_tags_are_created_once_case_insensitively(workspace, actor):
    Tag.objects.create(workspace=workspace, name="VIP")
    _import(workspace, actor, "t.csv", b"email,tags\na@example.com,vip;New\nb@example.com,new\n")
    assert sorted(Tag.objects.for_workspace(workspace).values_list("name", flat=True)) == [
        "New",
        "VIP",
    ]


def test_other_crms_exports_import_cleanly(workspace, actor):
    for name in (
        "contacts_google.csv",
        "persons_pipedrive.csv",
        "contacts_salesforce.csv",
        "contacts_cp1252_semicolon.csv",
        "contacts_utf8_bom_tab.csv",
    ):
        job = _import(workspace, actor, name)
        assert job.status == JobStatus.SUCCEEDED, name
        assert job.failed == 0, (name, list(job.rejected_rows.values_list("reason", flat=True)))
    assert _contacts(workspace).get(email="francois.muller@exemple.fr").last_name == "Müller"
    assert _contacts(workspace).get(email="helene@exemple.fr").last_name == "Dubœuf"
    guido = _contacts(workspace).get(email="guido@python.example")
    assert (guido.first_name, guido.last_name) == ("Guido", "van Rossum")
    tim = _contacts(workspace).get(email="tim@w3.example")
    assert (tim.first_name, tim.last_name) == ("Tim", "Berners-Lee")
    assert [t.name for t in tim.tags.all()] == ["Hot lead"]
    backus = _contacts(workspace).get(email="john.backus@ibm.example")
    assert backus.address["street"] == "1101 Kitchawan Rd\nBuilding 2"
    assert backus.source == "website"
    linus = _contacts(workspace).get(email="linus@kernel.example")
    assert set(linus.emails.values_list("value", flat=True)) == {
        "linus@kernel.example",
        "linus.home@example.net",
    }
    assert sorted(t.name for t in linus.tags.all()) == ["Partners", "myContacts"]


def test_update_mode_skips_rows_that_change_nothing(workspace, actor):
    first = _import(workspace, actor, "contacts_hubspot.csv", on_duplicate="update")
    events = TimelineEvent.objects.filter(subject_type="contact").count()
    again = _import(workspace, actor, "contacts_hubspot.csv", on_duplicate="update")
    assert first.created == 5
    assert (again.created, again.updated, again.skipped) == (0, 0, 5)
    assert TimelineEvent.objects.filter(subject_type="contact").count() == events
    changed = (DATA_DIR / "contacts_hubspot.csv").read_text().replace("Founder", "Chair")
    third = _import(workspace, actor, "changed.csv", changed.encode(), on_duplicate="update")
    assert (third.updated, third.skipped) == (1, 4)
    assert _contacts(workspace).get(email="ada@analytical.example").job_title == "Chair"


def test_imports_work_on_storage_without_local_paths(workspace, actor, settings):
    """S3-compatible storage has no file paths: the file is read from a temporary copy."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    job = _import(workspace, actor, "contacts_messy.csv")
    assert (job.status, job.created, job.failed) == (JobStatus.SUCCEEDED, 6, 5)
    assert "Row,Error" in "".join(import_error_rows(job=job))


def test_create_mode_rejects_rows_whose_email_is_taken(workspace, actor):
    _import(workspace, actor, "contacts_nimble.csv")
    job = _import(workspace, actor, "contacts_nimble.csv", on_duplicate="create")
    assert (job.created, job.failed, job.skipped) == (0, 2, 0)
    assert set(job.rejected_rows.values_list("reason", flat=True)) == {
        "Email: another contact in this workspace has this email."
    }
    assert _contacts(workspace).count() == 2


def test_company_import_update_then_revert(workspace, actor):
    _import(workspace, actor, "companies.csv", object_type="company")
    changed = (DATA_DIR / "companies.csv").read_text().replace("Aerospace", "Space")
    job = _import(
        workspace, actor, "c2.csv", changed.encode(), object_type="company", on_duplicate="update"
    )
    nasa = Company.objects.for_workspace(workspace).get(domain="nasa.example")
    assert (job.updated, nasa.industry) == (1, "Space")
    import_revert(job=job, actor=actor)
    import_revert_run(job.pk)
    nasa.refresh_from_db()
    assert nasa.industry == "Aerospace"
    assert Company.objects.for_workspace(workspace).count() == 3
