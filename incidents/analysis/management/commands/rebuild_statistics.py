from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from incidents.analysis import cubes


class Command(BaseCommand):
    help = "Rebuild the statistics summary tables from the case and insurance tables (the nightly job)."

    def handle(self, *args, **options):
        result = cubes.rebuild()
        self.stdout.write(
            _("Statistics rebuilt: %(months)s months, %(quarters)s quarters, %(cases)s cases in %(seconds).1f s.")
            % result
        )
