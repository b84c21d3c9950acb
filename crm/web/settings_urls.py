"""Page URLs of this part of the web app (included from crm/urls.py under /settings/)."""

from django.urls import path

from crm.web import settings as views
from crm.web import settings_pipelines as pipeline_views
from crm.web import settings_schema as schema_views

app_name = "settings"

urlpatterns = [
    path("", views.settings_index, name="index"),
    path("workspace/", views.workspace_settings, name="workspace"),
    path("members/", views.members, name="members"),
    path("members/<uuid:membership_id>/role/", views.member_role, name="member_role"),
    path("members/<uuid:membership_id>/remove/", views.member_remove, name="member_remove"),
    path("members/invitations/", views.invitation_send, name="invitation_send"),
    path(
        "members/invitations/<uuid:invitation_id>/resend/",
        views.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "members/invitations/<uuid:invitation_id>/revoke/",
        views.invitation_revoke_view,
        name="invitation_revoke",
    ),
    path("custom-fields/", schema_views.custom_fields, name="custom_fields"),
    path(
        "custom-fields/<uuid:field_id>/delete/",
        schema_views.custom_field_remove,
        name="custom_field_delete",
    ),
    path("tags/", schema_views.tags, name="tags"),
    path("tags/<uuid:tag_id>/", schema_views.tag_edit, name="tag_edit"),
    path("tags/<uuid:tag_id>/delete/", schema_views.tag_remove, name="tag_delete"),
    path("api-keys/", views.api_keys, name="api_keys"),
    path("api-keys/<uuid:key_id>/revoke/", views.api_key_revoke_view, name="api_key_revoke"),
    path("pipelines/", pipeline_views.pipelines, name="pipelines"),
    path(
        "pipelines/<uuid:pipeline_id>/rename/",
        pipeline_views.pipeline_rename,
        name="pipeline_rename",
    ),
    path(
        "pipelines/<uuid:pipeline_id>/default/",
        pipeline_views.pipeline_make_default,
        name="pipeline_make_default",
    ),
    path(
        "pipelines/<uuid:pipeline_id>/delete/",
        pipeline_views.pipeline_remove,
        name="pipeline_delete",
    ),
    # Lost reasons are named by a "reason" form (or query) field, resolved in the pipeline.
    path(
        "pipelines/<uuid:pipeline_id>/lost-reasons/",
        pipeline_views.lost_reason_add,
        name="lost_reason_add",
    ),
    path(
        "pipelines/<uuid:pipeline_id>/lost-reasons/rename/",
        pipeline_views.lost_reason_rename,
        name="lost_reason_rename",
    ),
    path(
        "pipelines/<uuid:pipeline_id>/lost-reasons/delete/",
        pipeline_views.lost_reason_remove,
        name="lost_reason_delete",
    ),
    path("pipelines/<uuid:pipeline_id>/stages/", pipeline_views.stage_add, name="stage_add"),
    path(
        "pipelines/<uuid:pipeline_id>/reorder/",
        pipeline_views.stages_reorder,
        name="stages_reorder",
    ),
    path("stages/<uuid:stage_id>/", pipeline_views.stage_edit, name="stage_edit"),
    path("stages/<uuid:stage_id>/move/", pipeline_views.stage_move, name="stage_move"),
    path("stages/<uuid:stage_id>/delete/", pipeline_views.stage_remove, name="stage_delete"),
]
