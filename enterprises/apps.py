from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnterprisesConfig(AppConfig):
    name = "enterprises"
    verbose_name = _("Enterprises")

    def ready(self):
        from portal import imports

        from . import signals  # noqa: F401
        from .imports import ConstructionProjectImport, EnterpriseImport

        imports.register(EnterpriseImport())
        imports.register(ConstructionProjectImport())
