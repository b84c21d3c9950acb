"""Pieces shared by the CRM's records: choices, subjects, search columns."""

from __future__ import annotations

from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import Func


class SubjectType(models.TextChoices):
    CONTACT = "contact", "Contact"
    COMPANY = "company", "Company"
    DEAL = "deal", "Deal"


class Label(models.TextChoices):
    WORK = "work", "Work"
    HOME = "home", "Home"
    MOBILE = "mobile", "Mobile"
    PERSONAL = "personal", "Personal"
    OTHER = "other", "Other"


class ConcatWithSpace(Func):
    """``coalesce(a,'') || ' ' || coalesce(b,'')``: immutable, so usable in generated columns
    (PostgreSQL's ``concat()`` is only stable)."""

    template = "btrim(coalesce(%(expressions)s, ''))"
    arg_joiner = ", '') || ' ' || coalesce("
    output_field = models.TextField()


def search_vector(*weighted: tuple[str, str]) -> SearchVector:
    """A ``simple``-dictionary tsvector over (column, weight) pairs.

    The ``simple`` configuration does no stemming: names and emails are matched as written,
    which suits a CRM's search better than English stemming of a person's name.
    """
    vectors = [SearchVector(column, weight=weight, config="simple") for column, weight in weighted]
    combined = vectors[0]
    for vector in vectors[1:]:
        combined = combined + vector
    return combined


def search_vector_field(*weighted: tuple[str, str]) -> models.GeneratedField:
    return models.GeneratedField(
        expression=search_vector(*weighted),
        output_field=SearchVectorField(),
        db_persist=True,
    )


class SubjectMixin(models.Model):
    """What a note, task, activity or timeline event is about: one contact, company or deal.

    A (type, id) pair rather than one foreign key per kind, so that ``crm`` never imports
    ``pipelines``; the services check that the subject exists in the same workspace, and the
    deleting service removes what hangs off a record.
    """

    subject_type = models.CharField(max_length=10, choices=SubjectType.choices)
    subject_id = models.UUIDField()

    class Meta:
        abstract = True
