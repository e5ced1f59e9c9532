"""Jobs keeping the summary tables in step: after edits and imports (only the months touched), and nightly."""

from __future__ import annotations

import datetime

from celery import shared_task


@shared_task(name="analysis.refresh")
def refresh(
    months: list[str] | None = None,
    quarters: list[list[int]] | None = None,
    case_ids=None,
    disease_months: list[str] | None = None,
    enterprises: bool = False,
    accident_months: list[str] | None = None,
) -> str:
    """``months`` as ISO dates, ``quarters`` as [year, quarter]; ``case_ids`` (first, last) of imported cases,
    whose months are looked up here, after the import has committed."""
    from . import cubes

    wanted = {datetime.date.fromisoformat(m) for m in months or []}
    if case_ids:
        wanted |= set(cubes.months_of_cases(*case_ids))
    cubes.refresh_months(wanted)
    cubes.refresh_quarters([tuple(q) for q in quarters or []])
    cubes.refresh_disease_months([datetime.date.fromisoformat(m) for m in disease_months or []])
    cubes.refresh_accident_months([datetime.date.fromisoformat(m) for m in accident_months or []])
    if enterprises:
        cubes.refresh_enterprises()
    return f"{len(wanted)} months, {len(quarters or [])} quarters"


@shared_task(name="analysis.rebuild")
def rebuild() -> dict:
    from . import cubes

    return cubes.rebuild()
