"""Benchmark: import a 10,000-row and a 100,000-row assessment sheet on PostgreSQL.

    .venv/bin/python bench/import_sheet.py

Uses ``DATABASE_URL`` (must be PostgreSQL); without it, the demo database ``cadre_bench`` on
postgres://postgres@127.0.0.1:5432, built like bench/recompute.py does unless it already holds
the demo city. It works in its own period (the 2024 annual period, opened for scores), so it
does not disturb bench/recompute.py's 2025 period.

For each size it writes an .xlsx for existing cadres with openpyxl's write-only mode, then
times the whole path a user's upload takes: ``import_validate`` (store the file, parse it,
check every row against the database, work out the diff, keep the checked rows beside the
upload) and ``import_commit`` (nothing changed since the preview, so the preview's rows are
written as they are: bulk insert or update by COPY, one audit entry per written assessment by
COPY, recomputation job created). The recomputation is QUEUED, not run: with no broker
configured Celery would run it in-process at commit, so ``run_job.delay`` is replaced for the
timed section by a stub that only records the job id. The job row is created inside the timed
section (waiting jobs of earlier runs are cleared first, or the commit would reuse them);
grading itself is bench/recompute.py's to time.

Two kinds of import are timed for each size, ``IMPORT_BENCH_RUNS`` times each (default 3):
"new", a first upload into the period (its assessments are deleted before each run, so every
row creates one), and "changed", a second upload (two sheets alternate, so every row changes
every score). Each run's figures are printed, then each kind's median; the RESULT line gives
for each size the slower of its two medians, as this shared machine's speed varies by ±20 %
from one minute to the next. Before each run the tables an import writes are vacuumed and
analysed (see ``settle``).

Peak RSS is the memory of a process doing imports, not of this harness: the sheets are all
written first, the harness's own lists (100,000 decrypted cadres, their scores) are dropped and
the allocator trimmed, then the peak is reset (``/proc/self/clear_refs``) and read after the
runs (VmHWM; the 100k runs dominate). What the process held when the imports began (Django,
the four sheets' bytes) is printed as ``baseline_rss_mb`` and is part of the peak. Where the
reset is not possible (not Linux) the figure is the whole process's ``ru_maxrss``.
The last line is ``RESULT import_10k_s=<s> import_100k_s=<s> peak_rss_mb=<MB> baseline_rss_mb=<MB>``.
Targets: 10,000 rows ≤ 1 s; 100,000 rows ≤ 10 s with peak RSS ≤ 600 MB.
"""

import contextlib
import ctypes
import gc
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from io import BytesIO

from _setup import demo_city, django_on_postgres

CADRES = 100_000
YEAR = 2024
CODES = ["德", "能", "勤", "绩", "廉", "民主测评"]
HEADER = ["序号", "姓名", "身份证号", "单位", "职务", *CODES, "备注"]


def make_sheet(cadres, base, shift: int) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("评分表")
    ws.append([f"示范市{YEAR}年度乡科级领导干部考核量化评分表"])
    ws.append(HEADER)
    for i, ((name, id_number, unit_name, post), scores) in enumerate(
        zip(cadres, base, strict=False), start=1
    ):
        ws.append([i, name, id_number, unit_name, post, *(v + shift for v in scores), ""])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


KINDS = ("new", "changed")


def _status_mb(field: str) -> float | None:
    """A field of /proc/self/status (VmRSS, VmHWM) in MB, None where there is none."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def reset_peak() -> bool:
    """Drop what the harness no longer holds and restart the peak (VmHWM) from the current
    resident size. False where the kernel offers no reset."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)  # glibc: hand freed arenas back
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # 5: reset the peak resident set size
    except OSError:
        return False
    return _status_mb("VmHWM") is not None


def clear_scores(period) -> None:
    """Remove the bench period's assessments, so the next import creates every one of them,
    as a county's first upload in a period does. Creating costs more than changing: each new
    row's three foreign keys are checked at COMMIT (about 0.16 s per 10,000 rows here)."""
    from django.db import connection

    from assessment.models import Assessment

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Assessment._meta.db_table} WHERE period_id = %s", [period.pk])


def settle(period) -> None:
    """VACUUM ANALYZE the tables an import writes, so each size is timed on a settled database
    (as it is between real uploads) and not while autovacuum cleans up after the last run's
    100,000 updates, which made the 10k figure swing by a factor of two."""
    from django.db import connection

    from assessment.models import Assessment
    from assessment.services.recompute import JOB_KIND
    from audit.models import AuditEntry
    from cadres.models import Cadre
    from core.models import Job, JobState

    Job.objects.filter(kind=JOB_KIND, state=JobState.PENDING, params__period=period.pk).update(
        state=JobState.DONE
    )
    with connection.cursor() as cursor:
        for model in (Assessment, AuditEntry, Cadre, Job):
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")


def main() -> int:
    os.environ.setdefault("DJANGO_MEDIA_ROOT", tempfile.mkdtemp(prefix="import-bench-"))
    failed = django_on_postgres("bench/import_sheet.py")
    if failed is not None:
        return failed
    from django.conf import settings

    from accounts.models import User
    from accounts.roles import Role
    from assessment.models import Period, PeriodStatus
    from assessment.services.imports import import_commit, import_validate
    from assessment.services.periods import period_create
    from cadres.models import Cadre, Unit
    from core import tasks

    demo_city(CADRES)

    root = Unit.objects.get_root_nodes().order_by("path").first()
    actor, _ = User.objects.get_or_create(
        username="bench_import", defaults={"role": Role.STAFF, "unit": root, "display_name": "导入基准测试"}
    )
    period = Period.objects.filter(year=YEAR, quarter__isnull=True).first()
    if period is None:
        period = period_create(actor=actor, name=f"{YEAR}年度考核（导入基准测试）", year=YEAR)
    period.status = PeriodStatus.COLLECTING
    period.save()
    settings.IMPORT_MAX_BYTES = 50 * 1024 * 1024

    cadres = list(
        Cadre.objects.order_by("pk").values_list("name", "id_number", "unit__name", "post_title")[:CADRES]
    )
    rng = random.Random(time.time_ns())
    runs = max(1, int(os.environ.get("IMPORT_BENCH_RUNS", "3")))
    queued: list[str] = []
    real_delay = tasks.run_job.delay
    results: dict[str, list[float]] = {}
    sizes = (("10k", 10_000), ("100k", 100_000))
    all_sheets = {}
    for label, size in sizes:
        base = [[rng.randint(55, 95) for _ in CODES] for _ in range(size)]  # fresh every time
        all_sheets[label] = [make_sheet(cadres[:size], base, shift) for shift in (0, 5)]
    del cadres, base  # the harness's lists: an importing process holds only the upload
    reset = reset_peak()
    baseline_mb = _status_mb("VmRSS") or 0.0
    for label, size in sizes:
        sheets = all_sheets.pop(label)
        n = 0
        for kind in KINDS:
            for run in range(runs):
                data = sheets[n % 2]  # alternating: every "changed" run changes every row
                n += 1
                if kind == "new":
                    clear_scores(period)
                settle(period)
                queued.clear()
                tasks.run_job.delay = lambda job_id: queued.append(job_id)
                try:
                    started = time.perf_counter()
                    batch = import_validate(
                        actor=actor, period=period, data=data, filename=f"bench-{label}.xlsx"
                    )
                    validated = time.perf_counter()
                    if batch.errors:
                        print(
                            f"{label}: {len(batch.errors)} errors, first: {batch.errors[0]}", file=sys.stderr
                        )
                        return 1
                    batch = import_commit(actor=actor, batch=batch)
                    elapsed = time.perf_counter() - started
                finally:
                    tasks.run_job.delay = real_delay
                written = batch.rows_new if kind == "new" else batch.rows_changed
                if written != size:
                    print(
                        f"{label} {kind}: expected {size} rows of that kind, got {written}", file=sys.stderr
                    )
                    return 1
                results.setdefault((label, kind), []).append(elapsed)
                print(
                    f"{label} {kind} run {run + 1}: {elapsed:.2f}s rows={batch.rows_total} "
                    f"new={batch.rows_new} changed={batch.rows_changed} unchanged={batch.rows_unchanged} "
                    f"file={len(data) / 1e6:.1f}MB validate={validated - started:.2f}s "
                    f"commit={elapsed - (validated - started):.2f}s jobs_queued={len(queued)} "
                    f"status={batch.status}",
                    file=sys.stderr,
                )
        del sheets
    from audit.models import AuditEntry

    # Each run adds its entries to the audit trail, and a larger trail costs every later
    # import a little more (its indexes): the figures depend on it, so it is printed.
    print(f"audit trail: {AuditEntry.objects.count():,} entries after these runs", file=sys.stderr)
    peak_mb = _status_mb("VmHWM") if reset else None
    if peak_mb is None:
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"peak RSS of the imports {peak_mb:.0f} MB, of which {baseline_mb:.0f} MB held before the first "
        f"(Django, the sheets){'' if reset else ' (no peak reset here: the whole process)'}",
        file=sys.stderr,
    )
    median = {key: statistics.median(times) for key, times in results.items()}
    for (label, kind), value in median.items():
        print(f"median {label} {kind}: {value:.2f}s", file=sys.stderr)
    # Each size's figure is the slower of its two kinds.
    slowest = {label: max(median[(label, kind)] for kind in KINDS) for label in ("10k", "100k")}
    print(
        f"RESULT import_10k_s={slowest['10k']:.2f} import_100k_s={slowest['100k']:.2f} peak_rss_mb={peak_mb:.0f} "
        f"baseline_rss_mb={baseline_mb:.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
