"""Storing a comparison result in the database, so findings can be listed and linked."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from fupin.comparison.models import ComparisonRun, Finding
from fupin.engine.comparison.run import ComparisonResult


@transaction.atomic
def store_findings(
    result: ComparisonResult,
    *,
    data_source: str,
    rosters_source: str,
    acting_user: Any = None,
) -> ComparisonRun:
    """One ComparisonRun with all its findings, written whole or not at all."""
    run = ComparisonRun.objects.create(
        created_by=acting_user,
        as_of=result.as_of,
        rules=result.rules.id,
        data_source=data_source[:500],
        rosters_source=rosters_source[:500],
        summary=result.summary(),
    )
    batch = [
        Finding(
            run=run,
            finding_id=r["finding_id"],
            finding_name=r["finding_name"],
            severity=r["severity"],
            kind=r["kind"],
            household_id=r["household_id"] or "",
            id_number=r["id_number"] or "",
            name=r["name"] or "",
            region_code=r["region_code"] or "",
            roster=r["roster"] or "",
            match_method=r["match_method"] or "",
            match_probability=r["match_probability"],
            detail=r["detail"] or "",
            source=r["source"] or "",
        )
        for r in result.findings.to_pylist()
    ]
    Finding.objects.bulk_create(batch, batch_size=2000)
    return run
