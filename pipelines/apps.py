from django.apps import AppConfig


class PipelinesConfig(AppConfig):
    name = "pipelines"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.services.workspaces import register_workspace_initializer
        from crm import registry
        from pipelines.models import Deal
        from pipelines.query_fields import register_deal_query_fields
        from pipelines.services.pipelines import pipeline_create_default

        register_workspace_initializer(pipeline_create_default)

        registry.register_subject(
            "deal", model=Deal, title_field="title", url_name="pipelines:deal_detail"
        )
        register_deal_query_fields()
