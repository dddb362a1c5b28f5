"""Checks and imports on the site run in the background (导入任务), with a progress bar the page
polls.

An upload is first checked (kind 检查: uploads.check, the importer's first pass with
check_only, nothing written; the problems and the counts the import would give), then, when
the check found nothing, imported (kind 导入: uploads.run, the same `import_dataset` as
`fupin import`). Both start with the region-scope check (uploads.scope_problems): an upload
with rows outside the user's region is refused before anything else. `fupin serve` is one
process, so a thread started by the view is enough, followed through the importer's
on_progress callback.

Where the progress lives: the importer writes everything in one transaction, on the thread's
own connection. A progress row saved on that connection would stay invisible to the polling
request until the import commits (PostgreSQL), and on SQLite no other connection may write
while the import holds the write lock. So the latest figures are kept in memory (`_live`, in
this process) while the job runs, and saved to the job's row with its end; the poll reads the
row and overlays the live figures. (Saving them as they come, outside the import's transaction,
would only add writes: nobody reads the row's figures while the job is alive, and a job cut
off by a restart is failed whatever they said.) One job, check or import, runs at a time: a check beside an
import would wait for the import's write lock on SQLite. A job still marked as running that
this process does not know was cut off by a restart: an import's transaction was rolled back,
nothing was written, and it is marked 失败 (when shown, or when the next check starts, which
then removes its upload with the other old ones).
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
    """The check or import cannot start now (another job is running, or nothing to import)."""


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
        again = "请重新上传" if job.is_check else "请重新导入"
        ImportJob.objects.filter(pk=job.pk, state__in=ImportJob.RUNNING).update(
            state=ImportJob.FAILED,
            error=f"{job.kind}被中断（服务已重启），未写入任何数据，{again}",
            finished_at=timezone.now(),
        )
        job.refresh_from_db()
    return job


def refuse_if_busy(kind: str) -> None:
    """Raise JobRefused, saying what is running, when a job of kind may not start now.

    One job at a time, check or import (see the module docstring).
    """
    with _lock:
        _refuse_if_busy(kind)


def _refuse_if_busy(kind: str) -> None:  # with _lock held
    if _live:
        running = next(iter(_live.values())).get("kind", ImportJob.IMPORT)
        raise JobRefused(f"已有一个{running}正在进行，请等它完成后再{kind}")


# ---- starting and running ----------------------------------------------------------------------


def start_check(request, files) -> ImportJob:
    """Store the uploaded files and check them in the background (nothing written)."""
    refuse_if_busy(ImportJob.CHECK)  # before the upload is stored
    # jobs cut off by a restart are failed first, so their uploads go too
    for job in ImportJob.objects.filter(state__in=ImportJob.RUNNING):
        _settle(job)
    running = ImportJob.objects.filter(state__in=ImportJob.RUNNING).values_list("token", flat=True)
    uploads.discard_stale(set(running))
    token, _ = uploads.save_upload(files)
    return _start(request, token, ImportJob.CHECK)


def start_import(request, check_id: int) -> ImportJob:
    """Import the upload of a passed check of the user's own, in the background."""
    checked = job_or_404(request.user, check_id)
    if not checked.is_check or checked.user_id != request.user.pk:
        raise JobRefused("只能导入您自己上传并检查过的数据")
    if not checked.passed:
        raise JobRefused("检查未通过的数据不能导入，请改正后重新上传")
    return _start(request, checked.token, ImportJob.IMPORT)


def _start(request, token: str, kind: str) -> ImportJob:
    path = uploads.dataset_path(token)  # DatasetError when the upload is gone
    with _lock:
        _refuse_if_busy(kind)
        job = ImportJob.objects.create(
            user=request.user,
            region_code=access.user_region(request.user) or "",
            kind=kind,
            token=token,
            source=_source(path),
        )
        _live[job.pk] = {
            "kind": kind,
            "state": ImportJob.QUEUED,
            "phase": "等待开始",
            "done": 0,
            "total": None,
        }
    thread = threading.Thread(
        target=_run,
        args=(job.pk, path, audit.client_ip(request)),
        name=f"fupin-{'check' if kind == ImportJob.CHECK else 'import'}-{job.pk}",
        daemon=True,
    )
    thread.start()
    return job


def _source(path: Path) -> str:
    """What the user uploaded: the workbook, or the CSV files (the folder is only a token)."""
    if not path.is_dir():
        return path.name
    return "、".join(sorted(f.name for f in path.iterdir()))[:500]


CHECK_AUDIT = "导入检查"  # the audit log's action for a check; an import's is 导入


def _run(job_id: int, path: Path, ip: str | None) -> None:
    kind = ImportJob.IMPORT
    try:
        job = ImportJob.objects.select_related("user").get(pk=job_id)
        kind = job.kind
        action = CHECK_AUDIT if job.is_check else "导入"

        def report(phase: str, done: int, total: int | None) -> None:
            _report(job_id, phase, done, total)

        report(uploads.SCOPE_PHASE, 0, None)
        ImportJob.objects.filter(pk=job_id).update(started_at=timezone.now())
        outside = uploads.scope_problems(job.user, path, on_progress=report)
        if outside:
            _finish(job_id, problems=outside, refused=True)
            audit.log(
                None,
                action,
                path.name,
                f"未写入，{len(outside)}行不在管辖范围内",
                user=job.user,
                ip=ip,
            )
            return
        if job.is_check:
            result = uploads.check(path, user_id=job.user_id, on_progress=report)
            detail = f"发现{len(result.problems)}个问题" if result.problems else "检查通过"
        else:
            result = uploads.run(path, user_id=job.user_id, on_progress=report)
            detail = "已写入" if result.committed else f"未写入，{len(result.problems)}个问题"
        _finish(
            job_id,
            problems=result.problems,
            counts=[[t, dict(c)] for t, c in result.counts.items()],
            warnings=list(result.warnings),
            committed=result.committed,
        )
        audit.log(None, action, path.name, detail, user=job.user, ip=ip)
    except DatasetError as exc:
        _fail(job_id, str(exc))
    except Exception as exc:  # the page must say it failed rather than spin for ever
        log.exception("%s job %s failed", kind, job_id)
        _fail(job_id, f"{kind}出错，未写入任何数据：{exc}")
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
        _live[job_id] = {**_live.get(job_id, {}), **figures}


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
    with _lock:
        live = dict(_live.get(job_id, {}))
    job.done, job.total = live.get("done", job.done), live.get("total", job.total)
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
    if job.is_check:
        # a check is done when it found nothing: its upload may then be imported
        job.state = ImportJob.FAILED if problems else ImportJob.DONE
        job.phase = "检查未通过" if problems else "检查通过"
    else:
        job.state = ImportJob.DONE if committed else ImportJob.FAILED
        job.phase = "导入完成" if committed else "未写入"
    if (committed or job.is_check and not refused) and job.total is not None:
        job.done = job.total
    job.finished_at = timezone.now()
    job.save()
    if committed or (job.is_check and job.state == ImportJob.FAILED):
        uploads.discard(job.token)  # imported, or to be corrected and uploaded again


def _fail(job_id: int, message: str) -> None:
    failed = ImportJob.objects.filter(pk=job_id)
    failed.update(state=ImportJob.FAILED, phase="未写入", error=message, finished_at=timezone.now())
    for token in failed.filter(kind=ImportJob.CHECK).values_list("token", flat=True):
        uploads.discard(token)  # a check that could not finish: the files are uploaded again


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
    # a check that read the whole upload is at 100 % whatever it found
    checked = job.is_check and not job.refused and not job.error
    if finished and (job.committed or checked):
        percent: int | None = 100
    elif total:
        percent = min(100, 100 * done // total)
    else:
        percent = None  # an XLSX workbook: rows are counted as they are read, total unknown
    if finished:
        label = _end_label(job)
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
        "kind": job.kind,
        "finished": finished,
        "passed": job.passed if finished else False,
        "committed": job.committed if finished else False,
        "problem_count": job.problem_count if finished else 0,
        "error": job.error if finished else "",
        "source": job.source,
    }


def _end_label(job: ImportJob) -> str:
    if not job.is_check:
        return "导入完成" if job.committed else "未写入任何数据"
    if job.error:
        return "检查未完成"
    if job.refused:
        return "超出管辖范围，不能导入"
    if job.problem_count:
        return f"检查完成：发现 {job.problem_count:,} 个问题"
    return "检查通过，可以导入"


def count_rows(job: ImportJob) -> list[tuple[str, dict[str, int]]]:
    """The counts table (新增/更新/未变/拒绝/删除) per table, in the importer's labels' order."""
    return [(t, {k: c.get(k, 0) for k in OUTCOME_LABELS}) for t, c in job.counts]
