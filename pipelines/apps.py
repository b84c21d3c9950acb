from django.apps import AppConfig


class PipelinesConfig(AppConfig):
    name = "pipelines"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.services.workspaces import register_workspace_initializer
        from crm import registry
        from pipelines.models import Deal, DealContact
        from pipelines.query_fields import register_deal_query_fields
        from pipelines.services.pipelines import pipeline_create_default

        register_workspace_initializer(pipeline_create_default)

        from pipelines.services.deals import deal_delete, deal_update

        registry.register_subject(
            "deal",
            model=Deal,
            title_field="title",
            url_name="pipelines:deal_detail",
            update=lambda record, **kw: deal_update(deal=record, **kw),
            delete=lambda record, **kw: deal_delete(deal=record, **kw),
        )
        registry.register_relation(
            "contact", registry.Relation(DealContact, "contact", unique_by=("deal_id",))
        )
        registry.register_relation("company", registry.Relation(Deal, "company"))
        register_deal_query_fields()
        import pipelines.dashboard  # noqa: F401  (registers deals in crm's search and dashboard)
