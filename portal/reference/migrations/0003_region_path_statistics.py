"""PostgreSQL: a larger statistics sample for region.path, so the planner estimates ``path LIKE 'prefix%'``
(every scoped query) well enough to choose the index plan for a city (bench/scoped_lists.py found a 3 ms
query turning into 600 ms on an unlucky default sample)."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE reference_region ALTER COLUMN path SET STATISTICS 1000")
        schema_editor.execute("ANALYZE reference_region")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE reference_region ALTER COLUMN path SET STATISTICS -1")


class Migration(migrations.Migration):
    dependencies = [("reference", "0002_riskclass_tiers_label")]

    operations = [migrations.RunPython(forwards, backwards)]
