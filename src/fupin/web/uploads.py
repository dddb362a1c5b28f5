"""Import on the site: upload, check (nothing written), then import, by `import_dataset`.

The check is the importer itself with check_only (its first pass and the counts, nothing
written), so the table of problems the user sees is exactly what `fupin import` would report;
the import is the same call again, committed. Both run in the background (fupin.web.jobs) with
a progress bar. Before either, every region and household the data set touches must be inside
the user's region.
"""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
import time
from collections.abc import Collection
from pathlib import Path

from fupin import config
from fupin.engine.standard_format import HOUSEHOLDS, MEASURES, MEMBERS, REGIONS, VILLAGES
from fupin.engine.tables import DatasetError, Problem, open_table
from fupin.registry import regions as codes
from fupin.registry.importing import ImportResult, ProgressCallback, import_dataset
from fupin.registry.models import Household, ImportRun
from fupin.web import access

ALLOWED_SUFFIXES = (".xlsx", ".csv")
# a passed check's upload waits this long to be imported; then it is removed with the next upload
UPLOAD_KEPT = dt.timedelta(days=7)
SCOPE_PHASE = "检查管辖范围"
SCOPE_REPORT_EVERY = 10_000  # rows, as often as the importer reports


def upload_root() -> Path:
    return config.fupin_home() / "uploads"


def save_upload(files) -> tuple[str, Path]:
    """Store uploaded files under a fresh token; return the token and the data-set path."""
    token = secrets.token_hex(8)
    folder = upload_root() / token
    folder.mkdir(parents=True)
    saved = []
    for f in files:
        name = Path(f.name).name
        if Path(name).suffix.lower() not in ALLOWED_SUFFIXES:
            shutil.rmtree(folder)
            raise DatasetError(f"{name}：只能上传 .xlsx 工作簿或标准格式的 .csv 文件")
        target = folder / name
        with target.open("wb") as out:
            for chunk in f.chunks():
                out.write(chunk)
        saved.append(target)
    if not saved:
        shutil.rmtree(folder)
        raise DatasetError("请选择要上传的文件")
    return token, dataset_path(token)


def discard(token: str) -> None:
    """Remove an upload nothing more can be done with: imported, or refused by its check (the
    user corrects the files and uploads them again)."""
    if token.isalnum():
        shutil.rmtree(upload_root() / token, ignore_errors=True)


def discard_stale(in_use: Collection[str], kept: dt.timedelta = UPLOAD_KEPT) -> list[str]:
    """Remove the uploads older than `kept` but those of running jobs; the tokens removed."""
    root = upload_root()
    if not root.is_dir():
        return []
    cutoff = time.time() - kept.total_seconds()
    removed = []
    for folder in root.iterdir():
        if folder.is_dir() and folder.name not in in_use and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed


def dataset_path(token: str) -> Path:
    if not token.isalnum():
        raise DatasetError("上传编号无效")
    folder = upload_root() / token
    if not folder.is_dir():
        raise DatasetError("上传的文件已不存在，请重新上传")
    files = sorted(folder.iterdir())
    workbooks = [f for f in files if f.suffix.lower() == ".xlsx"]
    if len(workbooks) == 1 and len(files) == 1:
        return workbooks[0]
    return folder  # a folder of CSV files named after the tables


def scope_problems(
    user, path: Path, *, on_progress: ProgressCallback | None = None
) -> list[Problem]:
    """Rows outside the user's region: the whole upload is refused when there are any.

    on_progress(SCOPE_PHASE, rows read, None) every SCOPE_REPORT_EVERY rows of all the files.
    """
    problems: list[Problem] = []
    read = 0

    def tick() -> None:
        nonlocal read
        read += 1
        if on_progress is not None and read % SCOPE_REPORT_EVERY == 0:
            on_progress(SCOPE_PHASE, read, None)

    scope = access.user_region(user)
    if scope == access.ALL:
        return problems
    ancestors = set()
    c = codes.parent_code(scope) if scope else None
    while c:
        ancestors.add(c)
        c = codes.parent_code(c)
    file_households: set[str] = set()
    for table, column in (
        (REGIONS, "code"),
        (HOUSEHOLDS, "region_code"),
        (VILLAGES, "region_code"),
    ):
        reader = open_table(path, table)
        if reader is None:
            continue
        for row_number, row in reader:
            tick()
            code = row.get(column, "")
            if table is HOUSEHOLDS:
                file_households.add(row.get("household_id", ""))
            if not code or access.in_scope(user, code) or (table is REGIONS and code in ancestors):
                continue
            problems.append(
                Problem(
                    reader.file_label,
                    row_number,
                    reader.label_of(column),
                    code,
                    "不在您的管辖范围内",
                )
            )
    for table in (MEMBERS, MEASURES):
        reader = open_table(path, table)
        if reader is None:
            continue
        for row_number, row in reader:
            tick()
            hid = row.get("household_id", "")
            if not hid or hid in file_households:
                continue
            region = (
                Household.objects.filter(household_id=hid)
                .values_list("region_id", flat=True)
                .first()
            )
            if region is not None and not access.in_scope(user, region):
                problems.append(
                    Problem(
                        reader.file_label,
                        row_number,
                        reader.label_of("household_id"),
                        hid,
                        "该户不在您的管辖范围内",
                    )
                )
    return problems


def check(
    path: Path, *, user_id: int | None, on_progress: ProgressCallback | None = None
) -> ImportResult:
    """The importer's check (check_only): its problems and counts, nothing written.

    No transaction around it: check_only writes nothing but its ImportRun row, and on SQLite a
    transaction would hold the write lock, keeping every other user's writes waiting, for the
    whole check (20–40 s at a million members). That row is removed afterwards instead: a
    check is not an import, and the import history lists imports only.
    """
    before = ImportRun.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    try:
        result = import_dataset(path, user_id=user_id, check_only=True, on_progress=on_progress)
    finally:
        ImportRun.objects.filter(pk__gt=before, source=str(path)).delete()
    result.committed = False
    return result


def run(
    path: Path, *, user_id: int | None, on_progress: ProgressCallback | None = None
) -> ImportResult:
    """The import itself; the uploaded files are removed once it has committed.

    Run in the background by fupin.web.jobs, which follows it through on_progress.
    """
    result = import_dataset(path, user_id=user_id, on_progress=on_progress)
    if result.committed:
        folder = path if path.is_dir() else path.parent
        if folder.parent == upload_root():
            shutil.rmtree(folder, ignore_errors=True)
    return result
