"""Imports on the site run in the background (导入任务), with a progress bar the page polls.

`fupin serve` is one process, so a thread started by the view is enough: it runs the same
`import_dataset` as `fupin import` (through fupin.web.uploads.run) and follows it with the
importer's on_progress callback.

Where the progress lives: the importer writes everything in one transaction, on the thread's
own connection. A progress row saved on that connection would stay invisible to the polling
request until the import commits (PostgreSQL), and on SQLite no other connection may write
while the import holds the write lock. So the latest figures are kept in memory (`_live`, in
this process) and saved to the job's row whenever the thread is outside a transaction (the
check pass, the start and the end); the poll reads the row and overlays the live figures.
A job still marked as running that this process does not know was cut off by a restart: its
transaction was rolled back, nothing was written, and it is marked 失败.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from django.db import connection
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from fupin.engine.tables import DatasetError, Problem
from fupin.registry import regions as codes
from fupin.registry.importing import OUTCOME_LABELS
from fupin.web import access, audit, uploads
from fupin.web.models import ImportJob

log = logging.getLogger(__name__)

PROBLEMS_KEPT = 500  # the page lists this many problems; the count says how many there were

_live: dict[int, dict] = {}  # job id -> latest state, phase, done, total (this process only)
_lock = threading.Lock()


class JobRefused(Exception):
    """The import cannot start now (another one is running)."""


# ---- which jobs a user may see -----------------------------------------------------------------


def visible_jobs(user):
    """The user's own jobs, and those of users of their region subtree (an administrator's)."""
    scope = access.user_region(user)
    if scope is None:
        return ImportJob.objects.none()
    if scope == access.ALL:
        return ImportJob.objects.all()
    low, high = codes.subtree_range(scope)
    return ImportJob.objects.filter(Q(user=user) | Q(region_code__gte=low, region_code__lte=high))


def job_or_404(user, pk: int) -> ImportJob:
    job = visible_jobs(user).filter(pk=pk).first()
    if job is None:
        raise Http404("没有这个导入任务，或不在您的管辖范围内")
    return _settle(job)


def running_jobs(user):
    return [
        _settle(j) for j in visible_jobs(user).filter(state__in=ImportJob.RUNNING).order_by("pk")
    ]


def _settle(job: ImportJob) -> ImportJob:
    """Mark a job cut off by a restart as failed (see the module docstring)."""
    with _lock:
        alive = job.pk in _live
    if job.running and not alive:
        ImportJob.objects.filter(pk=job.pk, state__in=ImportJob.RUNNING).update(
            state=ImportJob.FAILED,
            error="导入被中断（服务已重启），未写入任何数据，请重新导入",
            finished_at=timezone.now(),
        )
        job.refresh_from_db()
    return job


def busy() -> bool:
    """Whether an import is running in this process (one at a time: see start)."""
    with _lock:
        return bool(_live)


# ---- starting and running ----------------------------------------------------------------------


def start(request, token: str) -> ImportJob:
    """Queue the import of an uploaded (and checked) data set and start its thread."""
    path = uploads.dataset_path(token)  # DatasetError when the upload is gone
    with _lock:
        if _live:
            raise JobRefused("已有一个导入正在进行，请等它完成后再导入")
        job = ImportJob.objects.create(
            user=request.user,
            region_code=access.user_region(request.user) or "",
            token=token,
            source=path.name,
        )
        _live[job.pk] = {"state": ImportJob.QUEUED, "phase": "等待开始", "done": 0, "total": None}
    thread = threading.Thread(
        target=_run,
        args=(job.pk, path, audit.client_ip(request)),
        name=f"fupin-import-{job.pk}",
        daemon=True,
    )
    thread.start()
    return job


def _run(job_id: int, path: Path, ip: str | None) -> None:
    try:
        job = ImportJob.objects.select_related("user").get(pk=job_id)
        _report(job_id, "检查管辖范围", 0, None)
        ImportJob.objects.filter(pk=job_id).update(started_at=timezone.now())
        outside = uploads.scope_problems(job.user, path)
        if outside:
            _finish(job_id, problems=outside, refused=True)
            audit.log(
                None,
                "导入",
                path.name,
                f"未写入，{len(outside)}行不在管辖范围内",
                user=job.user,
                ip=ip,
            )
            return
        result = uploads.run(
            path,
            user_id=job.user_id,
            on_progress=lambda phase, done, total: _report(job_id, phase, done, total),
        )
        _finish(
            job_id,
            problems=result.problems,
            counts=[[t, dict(c)] for t, c in result.counts.items()],
            warnings=list(result.warnings),
            committed=result.committed,
        )
        audit.log(
            None,
            "导入",
            path.name,
            "已写入" if result.committed else f"未写入，{len(result.problems)}个问题",
            user=job.user,
            ip=ip,
        )
    except DatasetError as exc:
        _fail(job_id, str(exc))
    except Exception as exc:  # the page must say it failed rather than spin for ever
        log.exception("import job %s failed", job_id)
        _fail(job_id, f"导入出错，未写入任何数据：{exc}")
    finally:
        try:
            # this thread's connection (Django closes only request threads'), before the job
            # counts as finished: nothing of the import is left open once the page shows the end
            connection.close()
        finally:
            with _lock:
                _live.pop(job_id, None)


def _report(job_id: int, phase: str, done: int, total: int | None) -> None:
    """The importer's on_progress: every 10,000 rows checked and after each chunk written."""
    state = ImportJob.CHECKING if phase.startswith("检查") else ImportJob.WRITING
    figures = {"state": state, "phase": phase, "done": done, "total": total}
    with _lock:
        _live[job_id] = figures
    if not connection.in_atomic_block:  # inside the import's transaction nobody would see it
        ImportJob.objects.filter(pk=job_id).update(**figures)


def _finish(
    job_id: int,
    *,
    problems: list[Problem],
    counts: list | None = None,
    warnings: list[str] | None = None,
    committed: bool = False,
    refused: bool = False,
) -> None:
    job = ImportJob.objects.get(pk=job_id)
    kept = problems[:PROBLEMS_KEPT]
    job.problems = [
        {"file": p.file, "row": p.row, "column": p.column, "value": p.value, "message": p.message}
        for p in kept
    ]
    job.problem_count = len(problems)
    job.counts = counts or []  # a list of [table, counts]: jsonb would not keep the order
    job.warnings = warnings or []
    job.committed = committed
    job.refused = refused
    job.state = ImportJob.DONE if committed else ImportJob.FAILED
    job.phase = "导入完成" if committed else "未写入"
    if committed and job.total is not None:
        job.done = job.total
    job.finished_at = timezone.now()
    job.save()


def _fail(job_id: int, message: str) -> None:
    ImportJob.objects.filter(pk=job_id).update(
        state=ImportJob.FAILED, phase="未写入", error=message, finished_at=timezone.now()
    )


# ---- what the page shows -----------------------------------------------------------------------


def progress(job: ImportJob) -> dict:
    """The job as the page polls it: state, phase, rows done of total, percentage."""
    with _lock:
        live = dict(_live.get(job.pk, {}))
    state = live.get("state", job.state)
    phase = live.get("phase", job.phase)
    done = live.get("done", job.done)
    total = live.get("total", job.total)
    finished = not live and not job.running
    if finished and job.committed:
        percent: int | None = 100
    elif total:
        percent = min(100, 100 * done // total)
    else:
        percent = None  # an XLSX workbook: rows are counted as they are read, total unknown
    if finished:
        label = "导入完成" if job.committed else "未写入任何数据"
    elif done and total:
        label = f"{phase} {done:,} / {total:,} 行"
    elif done:
        label = f"{phase} 已处理 {done:,} 行"
    else:
        label = phase
    return {
        "id": job.pk,
        "state": state,
        "phase": phase,
        "done": done,
        "total": total,
        "percent": percent,
        "label": label,
        "finished": finished,
        "committed": job.committed if finished else False,
        "problem_count": job.problem_count if finished else 0,
        "error": job.error if finished else "",
        "source": job.source,
    }


def count_rows(job: ImportJob) -> list[tuple[str, dict[str, int]]]:
    """The counts table (新增/更新/未变/拒绝/删除) per table, in the importer's labels' order."""
    return [(t, {k: c.get(k, 0) for k in OUTCOME_LABELS}) for t, c in job.counts]
