"""The cases' indexes without their redundant ones: the enterprise's own index (the (enterprise, date) index leads
with it) and the blind index's text-pattern twin (a hash is only ever compared whole). The blind index's index is
kept under its new name, not built again: a province's table holds millions of cases."""

import django.db.models.deletion
from django.db import migrations, models

HASH_INDEXES = {  # model → the Meta index's name
    "injurycase": "incidents_i_worker__16e308_idx",
    "occupationaldiseasecase": "incidents_o_worker__436181_idx",
}


def _hash_index(apps, schema_editor, *, forwards: bool) -> None:
    postgres = schema_editor.connection.vendor == "postgresql"
    for model_name, new in HASH_INDEXES.items():
        model = apps.get_model("incidents", model_name)
        field = model._meta.get_field("worker_id_hash")
        table = model._meta.db_table
        old = schema_editor._create_index_name(table, [field.column])  # the name the field index was given
        if forwards and postgres:
            like = schema_editor._create_index_name(table, [field.column], suffix="_like")
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(like)}")
        before, after = (old, new) if forwards else (new, old)
        with schema_editor.connection.cursor() as cursor:
            present = schema_editor.connection.introspection.get_constraints(cursor, table)
        if before in present:
            schema_editor.rename_index(
                model,
                models.Index(fields=["worker_id_hash"], name=before),
                models.Index(fields=["worker_id_hash"], name=after),
            )
        elif after not in present:  # the index was dropped by hand: built again
            schema_editor.add_index(model, models.Index(fields=["worker_id_hash"], name=after))
        if not forwards and postgres:
            schema_editor.execute(schema_editor._create_like_index_sql(model, field))


def keep_hash_indexes(apps, schema_editor):
    _hash_index(apps, schema_editor, forwards=True)


def restore_hash_indexes(apps, schema_editor):
    _hash_index(apps, schema_editor, forwards=False)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_security_policy_permission"),
        ("enterprises", "0004_insurance_quarter_index"),
        ("incidents", "0004_case_industry"),
        ("reference", "0003_region_path_statistics"),
    ]

    operations = [
        migrations.AlterField(
            model_name="injurycase",
            name="enterprise",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="injury_cases",
                to="enterprises.enterprise",
                verbose_name="enterprise",
            ),
        ),
        migrations.AlterField(
            model_name="occupationaldiseasecase",
            name="enterprise",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="disease_cases",
                to="enterprises.enterprise",
                verbose_name="enterprise",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="injurycase",
                    name="worker_id_hash",
                    field=models.CharField(editable=False, max_length=64),
                ),
                migrations.AlterField(
                    model_name="occupationaldiseasecase",
                    name="worker_id_hash",
                    field=models.CharField(editable=False, max_length=64),
                ),
                migrations.AddIndex(
                    model_name="injurycase",
                    index=models.Index(fields=["worker_id_hash"], name="incidents_i_worker__16e308_idx"),
                ),
                migrations.AddIndex(
                    model_name="occupationaldiseasecase",
                    index=models.Index(fields=["worker_id_hash"], name="incidents_o_worker__436181_idx"),
                ),
            ],
            database_operations=[migrations.RunPython(keep_hash_indexes, restore_hash_indexes)],
        ),
    ]
