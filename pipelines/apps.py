from django.apps import AppConfig


class PipelinesConfig(AppConfig):
    name = "pipelines"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from crm import registry
        from pipelines.models import Deal

        registry.register_subject(
            "deal", model=Deal, title_field="title", url_name="pipelines:deal_detail"
        )
