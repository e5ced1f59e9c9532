"""The national default target of the five-year work-injury prevention plans (all seeds): the incidence rate of
key industries 20 % lower over 2021–2025 than in 2020."""

from decimal import Decimal

from django.db import migrations


def create(apps, schema_editor):
    Target = apps.get_model("analysis", "Target")
    Target.objects.get_or_create(
        region=None,
        metric="key_incidence",
        target_year=2025,
        defaults={
            "baseline_year": 2020,
            "reduction_percent": Decimal("20.0"),
            "source": "工伤预防五年行动计划（2021—2025年）：重点行业工伤事故发生率较2020年降低20%左右",
        },
    )


def remove(apps, schema_editor):
    apps.get_model("analysis", "Target").objects.filter(region=None, metric="key_incidence", target_year=2025).delete()


class Migration(migrations.Migration):
    dependencies = [("analysis", "0003_target")]
    operations = [migrations.RunPython(create, remove)]
