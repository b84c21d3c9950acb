"""URLs of this part of the API (included from crm/api_urls.py): notes, tasks, activities,
timelines, and a contact's related records.

``contacts/<pk>/notes`` and the like live here; ``crm/api/urls.py``'s ``contacts/<str:pk>``
matches one path segment only, so the two never collide.
"""

from django.urls import path

from crm.api import activity as views

DETAIL = {"get": "retrieve", "patch": "partial_update", "put": "update", "delete": "destroy"}
LIST_CREATE = {"get": "list", "post": "create"}
LIST = {"get": "list"}

urlpatterns = [
    path("notes", views.NoteViewSet.as_view(LIST_CREATE), name="note-list"),
    path("notes/<str:pk>", views.NoteViewSet.as_view(DETAIL), name="note-detail"),
    path("tasks", views.TaskViewSet.as_view(LIST_CREATE), name="task-list"),
    path("tasks/<str:pk>", views.TaskViewSet.as_view(DETAIL), name="task-detail"),
    path("activities", views.ActivityViewSet.as_view(LIST_CREATE), name="activity-list"),
    path("activities/<str:pk>", views.ActivityViewSet.as_view(DETAIL), name="activity-detail"),
    path(
        "contacts/<str:pk>/timeline",
        views.ContactTimelineViewSet.as_view(LIST),
        name="contact-timeline",
    ),
    path(
        "companies/<str:pk>/timeline",
        views.CompanyTimelineViewSet.as_view(LIST),
        name="company-timeline",
    ),
    path("deals/<str:pk>/timeline", views.DealTimelineViewSet.as_view(LIST), name="deal-timeline"),
    path(
        "contacts/<str:contact_pk>/notes",
        views.ContactNoteViewSet.as_view(LIST_CREATE),
        name="contact-notes",
    ),
    path(
        "contacts/<str:contact_pk>/tasks",
        views.ContactTaskViewSet.as_view(LIST),
        name="contact-tasks",
    ),
    path(
        "contacts/<str:contact_pk>/activities",
        views.ContactActivityViewSet.as_view(LIST),
        name="contact-activities",
    ),
    path(
        "contacts/<str:contact_pk>/deals",
        views.ContactDealViewSet.as_view(LIST),
        name="contact-deals",
    ),
    path(
        "contacts/<str:contact_pk>/companies",
        views.ContactCompanyViewSet.as_view(LIST),
        name="contact-companies",
    ),
]
