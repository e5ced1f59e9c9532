"""``python manage.py load_reference``: load or update the official code lists (idempotent)."""

import time

from django.core.management.base import BaseCommand, CommandError

from portal.reference.loader import DATASET_NAMES, load_reference


class Command(BaseCommand):
    help = (
        "Load the reference data (regions, industries, risk classes, accident types and grades, occupational "
        "diseases, calendar) from portal/reference/data/. Idempotent: a data set whose files did not change since "
        "its last load is skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "datasets", nargs="*", metavar="DATASET", help=f"Load only these ({', '.join(DATASET_NAMES)})."
        )
        parser.add_argument("--force", action="store_true", help="Re-check every row even if the files did not change.")

    def handle(self, *args, datasets=(), force=False, **options):
        started = time.perf_counter()
        try:
            results = load_reference(datasets or None, force=force, report=lambda r: self.stdout.write(r.summary()))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        changed = sum(1 for r in results if not r.skipped)
        self.stdout.write(
            self.style.SUCCESS(
                f"Reference data: {len(results)} data sets, {changed} loaded, {len(results) - changed} unchanged "
                f"({time.perf_counter() - started:.1f} s)."
            )
        )
