"""Set every case's and accident's province, city, county and industry from its enterprise (after a bulk load that
bypassed ``save()``, or a change to the region tree made outside the portal)."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext as _

from enterprises.models import sync_tiers


class Command(BaseCommand):
    help = "Set the province, city, county and industry that cases and accidents carry from their enterprises."

    def add_arguments(self, parser):
        parser.add_argument(
            "--missing-only", action="store_true", help="only rows that carry none yet (faster after a bulk load)"
        )

    def handle(self, *args, missing_only=False, **options):
        with transaction.atomic():
            changed = sync_tiers(missing_only=missing_only)
        message = _("%(count)s records now carry their enterprise's region tiers and industry.")
        self.stdout.write(message % {"count": changed})
