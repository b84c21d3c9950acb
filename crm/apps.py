from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = "CRM"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Bind shared tasks to our Celery app in every process that runs Django.
        import crm.celery  # noqa: F401
        from crm import registry
        from crm.models import Company, Contact
        from crm.services.companies import company_delete, company_update
        from crm.services.contacts import contact_delete, contact_update

        registry.register_subject(
            "contact",
            model=Contact,
            title_field="full_name",
            url_name="crm:contact_detail",
            update=lambda record, **kw: contact_update(contact=record, **kw),
            delete=lambda record, **kw: contact_delete(contact=record, **kw),
        )
        registry.register_subject(
            "company",
            model=Company,
            title_field="name",
            url_name="crm:company_detail",
            update=lambda record, **kw: company_update(company=record, **kw),
            delete=lambda record, **kw: company_delete(company=record, **kw),
        )
