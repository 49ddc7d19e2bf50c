"""Benchmark: the same 10,000-row assessment sheet through our import, through
django-import-export (a peer, configured for a fair fight), and the physical floor.

    .venv/bin/pip install -r requirements-bench.txt   # once (bench/run does it)
    .venv/bin/python bench/peer_import.py

Uses ``DATABASE_URL`` (must be PostgreSQL); without it, the demo database ``cadre_bench``,
built like bench/recompute.py does unless it already holds the demo city. It works in
bench/import_sheet.py's 2024 annual period and writes its sheets with that script's helpers
(title row, header row, 序号 姓名 身份证号 单位 职务 德 能 勤 绩 廉 民主测评 备注; one row per
existing cadre; the first 10,000 cadres).

Three contestants, each from the file's bytes to rows in the database:

- **ours**: ``import_validate`` + ``import_commit``, as bench/import_sheet.py times them (the
  recomputation job is created, not run).
- **peer**: django-import-export 4.4 (``requirements-bench.txt``): the sheet loaded by tablib
  (openpyxl read-only, the title row skipped), then ``ModelResource.import_data`` of
  ``Assessment``, set up as its documentation advises for speed: ``use_bulk=True`` with
  ``batch_size`` (``PEER_BATCH_SIZE``, default 2000; 1000, 2000 and 5000 were tried and differ
  by little), ``skip_diff=True`` (no per-row deep copy or diff), ``skip_unchanged=False``,
  ``clean_model_instances=False``, one transaction. ``import_id_fields`` are the natural key
  (cadre, period). Two things the stock library would do one query per row for are given a
  bulk version, so it is not handicapped: the cadre is found by its ID number's keyed hash
  (ours stores ID numbers encrypted) through a widget reading a dict built once per import
  (one query for every hash of the sheet, as ours does), and the existing assessments are
  read by an instance loader in one query keyed by (cadre, period) (the library's
  ``CachedInstanceLoader`` handles a single key field only). It writes what ours writes to
  ``Assessment``: the six scores as one JSON object, the cadre's unit on new rows.
  It does NOT: check scores against the scheme's bounds and tracks, compare the name with the
  registry, check the uploader's scope, refuse a cadre twice, keep the file or a preview,
  guard against a change between preview and commit, write audit entries, create the
  recomputation job, or keep vote counts; it does build a result object per row.
- **floor**: python-calamine reads the same file, and its 10,000 rows go by one COPY
  (psycopg2 ``copy_expert``) into a TEMP scratch table with no index: the least any import
  of this file into this database can cost.

Two kinds, as bench/import_sheet.py: **new** (the period's assessments deleted before each
run, so every row creates one) and **changed** (the period restored before each run to the
state a first sheet left, byte for byte, then a second sheet changes every score). Every run
starts from the same database state, VACUUM ANALYZE'd (import_sheet.py's ``settle``). Runs
are interleaved (ours, peer, floor; ours, peer, floor; …), ``PEER_BENCH_RUNS`` rounds
(default 3), and the figures are medians. After each run the period must hold exactly
10,000 assessments, and the peer's rows (cadre, unit, scores) must be identical to ours for
the same sheet (a digest of the period's rows is compared), or the script fails.

The last line is ``RESULT peer_import_10k_s=<s> ours_import_10k_s=<s> floor_import_10k_s=<s>
peer_ratio_import_10k=<peer / ours> floor_ratio_import_10k=<ours / floor>
peer_ratio_new=<> peer_ratio_changed=<>``; each contestant's figure is the slower of its two
kinds' medians, as in bench/import_sheet.py, and the last two are peer / ours per kind.
"""

import os
import random
import statistics
import sys
import tempfile
import time
from io import BytesIO

from _setup import demo_city, django_on_postgres
from import_sheet import CODES, YEAR, clear_scores, make_sheet, settle

SIZE = 10_000
KINDS = ("new", "changed")
SNAPSHOT = "bench_peer_state"


def build_peer(period):
    """The django-import-export resource for ``period`` (built after Django is set up)."""
    from import_export import fields, resources, widgets
    from import_export.instance_loaders import BaseInstanceLoader

    from assessment.models import Assessment
    from cadres import idnumber
    from cadres.models import Cadre

    class CadreByIdNumber(widgets.Widget):
        """The 身份证号 cell → the cadre's id, through a dict of keyed hashes built once per
        import by ``before_import`` (ID numbers are stored encrypted, found by hash)."""

        def __init__(self, resource):
            super().__init__()
            self.resource = resource

        def clean(self, value, row=None, **kwargs):
            cadre = self.resource.cadre_of.get(self.resource.digest(idnumber.normalize(str(value))))
            if cadre is None:
                raise ValueError(f"unknown ID number {value!r}")
            return cadre

    class Scores(widgets.Widget):
        """The six score cells of the row → the JSON object ``Assessment.scores`` holds (whole
        numbers as int, as ours stores them)."""

        def clean(self, value, row=None, **kwargs):
            scores = {}
            for code in CODES:
                v = row[code]
                if v is None or v == "":
                    continue
                v = float(v)
                scores[code] = int(v) if v.is_integer() else v
            return scores

    class NaturalKeyLoader(BaseInstanceLoader):
        """Existing assessments by (cadre, period), read in one query for the sheet."""

        def __init__(self, resource, dataset=None):
            super().__init__(resource, dataset)
            cadres = list(resource.cadre_of.values())
            self.existing = {}
            for a in Assessment.objects.filter(period_id=resource.period_id, cadre_id__in=cadres):
                a.period = period  # see after_init_instance
                self.existing[(a.cadre_id, a.period_id)] = a

        def get_instance(self, row):
            key = (self.resource.fields["cadre"].clean(row), self.resource.fields["period"].clean(row))
            return self.existing.get(key)

    class AssessmentPeer(resources.ModelResource):
        cadre = fields.Field(attribute="cadre_id", column_name="身份证号")
        period = fields.Field(attribute="period_id", column_name="period", widget=widgets.IntegerWidget())
        scores = fields.Field(attribute="scores", column_name=CODES[0], widget=Scores())

        class Meta:
            model = Assessment
            fields = ("cadre", "period", "scores")
            import_id_fields = ("cadre", "period")
            use_bulk = True
            batch_size = int(os.environ.get("PEER_BATCH_SIZE", "2000"))
            skip_diff = True
            skip_unchanged = False
            clean_model_instances = False
            use_transactions = True
            instance_loader_class = NaturalKeyLoader

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.fields["cadre"].widget = CadreByIdNumber(self)
            self.period_id = period.pk
            self.digest = idnumber.digester()
            self.cadre_of: dict[str, int] = {}
            self.unit_of: dict[int, int] = {}

        def before_import(self, dataset, **kwargs):
            # The natural key's second half is not in the sheet: the period chosen on upload.
            dataset.append_col([self.period_id] * len(dataset), header="period")
            hashes = {self.digest(idnumber.normalize(str(v))) for v in dataset["身份证号"] if v}
            rows = Cadre.objects.filter(id_number_hash__in=hashes).values_list(
                "id_number_hash", "pk", "unit_id"
            )
            self.cadre_of = {h: pk for h, pk, _ in rows}
            self.unit_of = {pk: unit for _, pk, unit in rows}

        def after_init_instance(self, instance, new, row, **kwargs):
            # The library names each row's instance in its result (str(instance)), and
            # Assessment.__str__ shows the period: without the period object at hand that is one
            # query per row, which a user of the library would notice and avoid like this.
            if new:
                instance.period = period

        def before_save_instance(self, instance, row, **kwargs):
            if instance.unit_id is None:  # a new assessment: the cadre's unit, as ours
                instance.unit_id = self.unit_of[instance.cadre_id]

    return AssessmentPeer


def run_peer(resource_class, data: bytes, kind: str) -> tuple[float, dict]:
    import tablib

    started = time.perf_counter()
    dataset = tablib.Dataset().load(BytesIO(data), format="xlsx", skip_lines=1)
    loaded = time.perf_counter()
    result = resource_class().import_data(dataset, dry_run=False, raise_errors=True, use_transactions=True)
    elapsed = time.perf_counter() - started
    return elapsed, {**dict(result.totals), "read_s": f"{loaded - started:.2f}"}


def run_floor(data: bytes) -> float:
    """calamine read + one COPY into a TEMP table (created untimed, emptied before the run)."""
    from django.db import connection, transaction
    from python_calamine import CalamineWorkbook

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS bench_floor_rows (seq int, name text, id_number text, "
            "unit text, post text, " + ", ".join(f"s{i} numeric" for i in range(len(CODES))) + ", note text)"
        )
        cursor.execute("TRUNCATE bench_floor_rows")

    def cell(v) -> str:
        if v is None or v == "":
            return "\\N"
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")

    started = time.perf_counter()
    rows = CalamineWorkbook.from_filelike(BytesIO(data)).get_sheet_by_index(0).to_python()
    width = 6 + len(CODES)
    text = "".join(
        "\t".join(cell(v) for v in (list(row) + [None] * width)[:width]) + "\n" for row in rows[2:]
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.cursor.copy_expert("COPY bench_floor_rows FROM STDIN", BytesIO(text.encode()))
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_floor_rows")
        copied = cursor.fetchone()[0]
    if copied != SIZE:
        raise RuntimeError(f"floor: COPY wrote {copied} rows, expected {SIZE}")
    return elapsed


def state(period) -> tuple[int, str]:
    """(rows, digest of every row's cadre, unit and scores) of the period's assessments."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), md5(coalesce(string_agg(cadre_id::text || '|' || unit_id::text || '|' "
            "|| scores::jsonb::text, ';' ORDER BY cadre_id), '')) FROM assessment_assessment WHERE period_id = %s",
            [period.pk],
        )
        return cursor.fetchone()


def snapshot(period) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SNAPSHOT}")
        cursor.execute(
            f"CREATE TABLE {SNAPSHOT} AS SELECT * FROM assessment_assessment WHERE period_id = %s",
            [period.pk],
        )


def restore(period) -> None:
    """The period back to the snapshot's rows (same ids, same values)."""
    from django.db import connection, transaction

    with transaction.atomic():
        clear_scores(period)
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO assessment_assessment SELECT * FROM {SNAPSHOT}")


def main() -> int:
    os.environ.setdefault("DJANGO_MEDIA_ROOT", tempfile.mkdtemp(prefix="peer-bench-"))
    failed = django_on_postgres("bench/peer_import.py")
    if failed is not None:
        return failed
    try:
        import import_export  # noqa: F401
        import tablib  # noqa: F401
    except ImportError:
        print("bench/peer_import.py needs: .venv/bin/pip install -r requirements-bench.txt", file=sys.stderr)
        return 2
    from django.conf import settings

    from accounts.models import User
    from accounts.roles import Role
    from assessment.models import Period, PeriodStatus
    from assessment.services.imports import import_commit, import_validate
    from assessment.services.periods import period_create
    from cadres.models import Cadre, Unit
    from core import tasks

    demo_city(100_000)
    # bench/import_sheet.py's actor and period
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
        Cadre.objects.order_by("pk").values_list("name", "id_number", "unit__name", "post_title")[:SIZE]
    )
    rng = random.Random(time.time_ns())
    base = [[rng.randint(55, 95) for _ in CODES] for _ in range(SIZE)]
    first, second = (make_sheet(cadres, base, shift) for shift in (0, 5))
    peer = build_peer(period)
    real_delay = tasks.run_job.delay
    queued: list[str] = []

    def ours(data: bytes, kind: str) -> float:
        tasks.run_job.delay = lambda job_id: queued.append(job_id)
        try:
            started = time.perf_counter()
            batch = import_validate(actor=actor, period=period, data=data, filename="peer-bench-10k.xlsx")
            if batch.errors:
                raise RuntimeError(f"ours: {len(batch.errors)} errors, first: {batch.errors[0]}")
            batch = import_commit(actor=actor, batch=batch)
            elapsed = time.perf_counter() - started
        finally:
            tasks.run_job.delay = real_delay
        written = batch.rows_new if kind == "new" else batch.rows_changed
        if written != SIZE:
            raise RuntimeError(f"ours {kind}: {written} rows written, expected {SIZE}")
        return elapsed

    # The state a first upload of the first sheet leaves: the "changed" runs start from it.
    clear_scores(period)
    ours(first, "new")
    snapshot(period)
    start_state = state(period)
    times: dict[tuple[str, str], list[float]] = {}
    expected: dict[str, tuple] = {}  # kind -> ours' resulting state, the peer must match it
    runs = max(1, int(os.environ.get("PEER_BENCH_RUNS", "3")))
    for kind in KINDS:
        sheet = first if kind == "new" else second
        for run in range(runs):
            for who in ("ours", "peer", "floor"):
                if kind == "new":
                    clear_scores(period)
                else:
                    restore(period)
                    if state(period) != start_state:
                        raise RuntimeError("restore did not give back the first sheet's state")
                settle(period)
                if who == "ours":
                    elapsed, detail = ours(sheet, kind), ""
                elif who == "peer":
                    elapsed, totals = run_peer(peer, sheet, kind)
                    detail = " ".join(f"{k}={v}" for k, v in totals.items() if v)
                    if totals.get("new" if kind == "new" else "update") != SIZE or totals.get("error"):
                        raise RuntimeError(f"peer {kind}: totals {totals}, expected {SIZE}")
                else:
                    elapsed, detail = run_floor(sheet), ""
                if who != "floor":
                    got = state(period)
                    if got[0] != SIZE:
                        raise RuntimeError(f"{who} {kind}: the period holds {got[0]} rows, expected {SIZE}")
                    if kind == "changed" and got == start_state:
                        raise RuntimeError(f"{who} changed: nothing changed")
                    if expected.setdefault(kind, got) != got:
                        raise RuntimeError(f"{who} {kind}: rows differ from ours for the same sheet")
                times.setdefault((who, kind), []).append(elapsed)
                print(f"{kind} run {run + 1} {who}: {elapsed:.2f}s {detail}".rstrip(), file=sys.stderr)
    # leave the period as a first upload left it (import_sheet.py deletes or overwrites it anyway)
    restore(period)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SNAPSHOT}")

    median = {key: statistics.median(v) for key, v in times.items()}
    for (who, kind), value in sorted(median.items()):
        print(f"median {kind} {who}: {value:.2f}s", file=sys.stderr)
    slowest = {who: max(median[(who, kind)] for kind in KINDS) for who in ("ours", "peer", "floor")}
    print(
        "peer: django-import-export, bulk (batch "
        f"{peer._meta.batch_size}), natural key (cadre, period), cadre by hashed ID number from one dict, "
        "existing rows from one query; no score bounds, name, scope or duplicate checks, no preview, "
        "no audit, no recomputation job",
        file=sys.stderr,
    )
    print(
        f"RESULT peer_import_10k_s={slowest['peer']:.2f} ours_import_10k_s={slowest['ours']:.2f} "
        f"floor_import_10k_s={slowest['floor']:.2f} "
        f"peer_ratio_import_10k={slowest['peer'] / slowest['ours']:.1f} "
        f"floor_ratio_import_10k={slowest['ours'] / slowest['floor']:.1f} "
        + " ".join(
            f"peer_ratio_{kind}={median[('peer', kind)] / median[('ours', kind)]:.1f}" for kind in KINDS
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
