from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self):
        from . import (
            counts,  # noqa: F401  (connects the table-generation signals)
            lookups,
            tables,
        )

        lookups.install()
        tables.install()
