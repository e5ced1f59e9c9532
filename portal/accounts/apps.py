from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "portal.accounts"
    label = "accounts"
    verbose_name = _("Accounts and agencies")

    def ready(self):
        from portal import todos

        from . import signals  # noqa: F401
        from .todo import account_todos

        todos.register(account_todos)
