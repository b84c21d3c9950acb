"""URLs of this part of the API (included from crm/api_urls.py)."""

from django.urls import path

from pipelines.api import views

DETAIL = {"get": "retrieve", "patch": "partial_update", "put": "update", "delete": "destroy"}

urlpatterns = [
    path(
        "pipelines",
        views.PipelineViewSet.as_view({"get": "list", "post": "create"}),
        name="pipeline-list",
    ),
    path("pipelines/<str:pk>", views.PipelineViewSet.as_view(DETAIL), name="pipeline-detail"),
    path(
        "pipelines/<str:pk>/board",
        views.PipelineViewSet.as_view({"get": "board"}),
        name="pipeline-board",
    ),
    path(
        "pipelines/<str:pipeline_pk>/stages",
        views.StageViewSet.as_view({"get": "list", "post": "create"}),
        name="pipeline-stage-list",
    ),
    path(
        "pipelines/<str:pipeline_pk>/stages/reorder",
        views.StageViewSet.as_view({"post": "reorder"}),
        name="pipeline-stage-reorder",
    ),
    path("stages/<str:pk>", views.StageViewSet.as_view(DETAIL), name="stage-detail"),
    path(
        "pipelines/<str:pipeline_pk>/lost-reasons",
        views.LostReasonViewSet.as_view({"get": "list", "post": "create"}),
        name="pipeline-lost-reason-list",
    ),
    path(
        "pipelines/<str:pipeline_pk>/lost-reasons/<str:pk>",
        views.LostReasonViewSet.as_view(
            {"get": "retrieve", "patch": "partial_update", "delete": "destroy"}
        ),
        name="pipeline-lost-reason-detail",
    ),
    path("deals", views.DealViewSet.as_view({"get": "list", "post": "create"}), name="deal-list"),
    path("deals/query", views.DealViewSet.as_view({"post": "query"}), name="deal-query"),
    path(
        "deals/bulk-update",
        views.DealViewSet.as_view({"post": "bulk_update"}),
        name="deal-bulk-update",
    ),
    path(
        "deals/bulk-delete",
        views.DealViewSet.as_view({"post": "bulk_delete"}),
        name="deal-bulk-delete",
    ),
    path("deals/<str:pk>", views.DealViewSet.as_view(DETAIL), name="deal-detail"),
    path("deals/<str:pk>/move", views.DealViewSet.as_view({"post": "move"}), name="deal-move"),
    path(
        "deals/<str:pk>/stage-history",
        views.DealViewSet.as_view({"get": "stage_history"}),
        name="deal-stage-history",
    ),
]
