"""Backup and restore of the whole database (``manage.py backup_db`` / ``restore_db``).

PostgreSQL: ``pg_dump`` in its custom format, taken in a snapshot this module exports, so the
row counts it prints are those of the file; ``pg_restore --clean --single-transaction`` puts it
back, so a restore that fails half way leaves the database as it was. SQLite: the online backup
API copies the pages under a read lock, so a copy taken while the app runs is consistent; a
restore copies the file into the live database the same way, in one write transaction.

Uploaded files (interview attachments, assessment sheets under MEDIA_ROOT) are not in the
database and not in these backups.

Table names are plain strings here: core sits below the domain apps and imports none of them.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connections, transaction

POSTGRESQL = "postgresql"
SQLITE = "sqlite"
KIND_LABELS = {POSTGRESQL: "PostgreSQL", SQLITE: "SQLite"}
SUFFIXES = {POSTGRESQL: ".dump", SQLITE: ".sqlite3"}
MAGIC = {POSTGRESQL: b"PGDMP", SQLITE: b"SQLite format 3\x00"}
# A file without these tables is a backup of some other database, not of this system.
REQUIRED_TABLES = frozenset({"django_migrations", "cadres_cadre", "audit_auditentry"})
# The tables whose row counts are printed, so an operator can tell the file holds what they expect.
KEY_TABLES = (
    "cadres_unit",
    "cadres_cadre",
    "assessment_period",
    "assessment_assessment",
    "supervision_interview",
    "audit_auditentry",
)
# pg_restore waits this long for a table another session is using, then gives up (and rolls
# back) instead of hanging behind an open transaction of the running app.
LOCK_TIMEOUT = "60s"
# Connection options of Django's PostgreSQL backend that libpq also reads from the environment.
PG_OPTION_ENV = {
    "service": "PGSERVICE",
    "passfile": "PGPASSFILE",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "options": "PGOPTIONS",
}
UNCHANGED = "数据库未改动。"


class BackupError(Exception):
    """A refusal or a failure, in Chinese, for the operator."""


@dataclass
class Summary:
    """What a backup file holds or what the database holds after a restore."""

    path: Path
    kind: str
    size: int = 0
    tables: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # key tables present -> rows
    created: str = ""  # from a PostgreSQL archive's header
    source: str = ""  # the database it was dumped from (PostgreSQL)


def default_filename(vendor: str, now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now()
    return f"backup-{now:%Y%m%d-%H%M%S}{SUFFIXES[vendor]}"


def detect_kind(path: Path) -> str | None:
    with path.open("rb") as f:
        head = f.read(16)
    for kind, magic in MAGIC.items():
        if head.startswith(magic):
            return kind
    return None


def database_vendor(alias: str = DEFAULT_DB_ALIAS) -> str:
    vendor = connections[alias].vendor
    if vendor not in KIND_LABELS:
        raise BackupError(f"不支持的数据库类型：{vendor}（只支持 PostgreSQL 和 SQLite）。")
    return vendor


def database_label(alias: str = DEFAULT_DB_ALIAS) -> str:
    return str(connections[alias].settings_dict.get("NAME") or alias)


# --- backup -----------------------------------------------------------------------------


def backup_create(*, output: str | Path | None = None, alias: str = DEFAULT_DB_ALIAS) -> Summary:
    """Write a backup of the whole database to ``output`` (a new file; never overwritten).

    The file is written beside its final name and renamed when complete, so a failed backup
    leaves no half file; it is readable by its owner only (it holds full ID numbers)."""
    connection = connections[alias]
    vendor = database_vendor(alias)
    path = Path(output) if output else Path(default_filename(vendor))
    if path.exists():
        raise BackupError(f"文件已存在，不会覆盖：{path}")
    if not path.parent.is_dir():
        raise BackupError(f"目录不存在：{path.parent}")
    if connection.in_atomic_block:
        raise BackupError("备份不能在事务中进行。")
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    partial = Path(name)
    try:
        if vendor == POSTGRESQL:
            tables, counts = _pg_dump(connection, partial)
        else:
            tables, counts = _sqlite_dump(connection, partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return Summary(path=path, kind=vendor, size=path.stat().st_size, tables=tables, counts=counts)


def _pg_dump(connection, partial: Path) -> tuple[list[str], dict[str, int]]:
    pg_dump = _tool("pg_dump")
    args, env = pg_connection_args(connection.settings_dict)
    # pg_dump reads the snapshot this transaction exports, so the counts printed are exactly
    # the rows in the file, however busy the database is meanwhile.
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        tables = sorted(connection.introspection.table_names(cursor))
        counts = _count_rows(cursor, connection.ops.quote_name, tables)
        _run(
            [
                pg_dump,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={partial}",
                *args,
            ],
            env,
            failure="备份失败",
        )
    return tables, counts


def _sqlite_dump(connection, partial: Path) -> tuple[list[str], dict[str, int]]:
    # Django's own connection, not the file name: the test database lives in memory.
    connection.ensure_connection()
    target = sqlite3.connect(partial)
    try:
        connection.connection.backup(target)
        # The copy takes the live database's WAL mode; a single self-contained file is what a
        # backup should be (restoring puts the live database's own mode back).
        target.execute("PRAGMA journal_mode=DELETE")
        return _sqlite_inventory(target)
    finally:
        target.close()


# --- checking a file --------------------------------------------------------------------


def backup_check(path: str | Path, *, alias: str = DEFAULT_DB_ALIAS) -> Summary:
    """What the backup file holds; refuses (BackupError) a file this database cannot restore."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"备份文件不存在：{path}。{UNCHANGED}")
    vendor = database_vendor(alias)
    kind = detect_kind(path)
    if kind is None:
        raise BackupError(
            f"不是本系统的备份文件（既不是 PostgreSQL 备份也不是 SQLite 备份）：{path}。{UNCHANGED}"
        )
    if kind != vendor:
        raise BackupError(
            f"这是 {KIND_LABELS[kind]} 数据库的备份，当前数据库是 {KIND_LABELS[vendor]}，"
            f"不能用它恢复：{path}。{UNCHANGED}"
        )
    summary = Summary(path=path, kind=kind, size=path.stat().st_size)
    if kind == POSTGRESQL:
        _pg_inventory(summary)
    else:
        summary.tables, summary.counts = _sqlite_file_inventory(path)
    missing = REQUIRED_TABLES - set(summary.tables)
    if missing:
        raise BackupError(
            f"不是本系统的备份文件（缺少数据表 {'、'.join(sorted(missing))}）：{path}。{UNCHANGED}"
        )
    return summary


def _pg_inventory(summary: Summary) -> None:
    listing = _run(
        [_tool("pg_restore"), "--list", str(summary.path)],
        None,
        failure=f"备份文件已损坏或无法读取，{UNCHANGED}",
    )
    for line in listing.splitlines():
        line = line.strip()
        if line.startswith("; Archive created at"):
            summary.created = line.removeprefix("; Archive created at").strip()
        elif line.lower().startswith(";") and "dbname:" in line.lower():
            summary.source = line.split(":", 1)[1].strip()
        elif not line.startswith(";"):
            # "215; 0 16390 TABLE DATA public cadres_cadre postgres"
            words = line.split()
            for i in range(len(words) - 3):
                if words[i] == "TABLE" and words[i + 1] == "DATA":
                    summary.tables.append(words[i + 3])
                    break
    summary.tables.sort()


def _sqlite_file_inventory(path: Path) -> tuple[list[str], dict[str, int]]:
    try:
        source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            check = source.execute("PRAGMA quick_check").fetchall()
            if check != [("ok",)]:
                raise sqlite3.DatabaseError("; ".join(str(row[0]) for row in check[:3]))
            return _sqlite_inventory(source)
        finally:
            source.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"备份文件已损坏或无法读取：{path}（{exc}）。{UNCHANGED}") from exc


# --- restore ----------------------------------------------------------------------------


def backup_restore(
    path: str | Path, *, alias: str = DEFAULT_DB_ALIAS, checked: Summary | None = None
) -> Summary:
    """Replace the whole database with the backup; all or nothing. Returns what it then holds."""
    summary = checked or backup_check(path, alias=alias)
    connection = connections[alias]
    if connection.in_atomic_block:
        raise BackupError(f"恢复不能在事务中进行。{UNCHANGED}")
    if summary.kind == POSTGRESQL:
        _pg_restore(connection, summary.path)
    else:
        _sqlite_restore(connection, summary.path)
    # Content type ids come from the restored rows now, not from what this process cached.
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    return database_summary(summary.path, alias=alias)


def _pg_restore(connection, path: Path) -> None:
    pg_restore = _tool("pg_restore")
    args, env = pg_connection_args(connection.settings_dict)
    env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} -c lock_timeout={LOCK_TIMEOUT}".strip()
    # Our own session must not hold a lock on a table pg_restore is about to drop.
    connection.close()
    _run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            *args,
            str(path),
        ],
        env,
        failure=f"恢复失败，{UNCHANGED}（恢复在一个事务中进行，出错时已全部撤销）",
    )


def _sqlite_restore(connection, path: Path) -> None:
    # A fresh connection (Django keeps an in-memory test database open: close() leaves it).
    connection.close()
    connection.ensure_connection()
    try:
        source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            # One write transaction on the live database: other connections see the old data
            # or the restored data, never a mixture; a failure rolls it back.
            source.backup(connection.connection)
        finally:
            source.close()
    except sqlite3.Error as exc:
        raise BackupError(f"恢复失败，{UNCHANGED}（{exc}）") from exc
    connection.close()


def database_summary(path: Path, *, alias: str = DEFAULT_DB_ALIAS) -> Summary:
    connection = connections[alias]
    with connection.cursor() as cursor:
        tables = sorted(connection.introspection.table_names(cursor))
        counts = _count_rows(cursor, connection.ops.quote_name, tables)
    return Summary(path=path, kind=connection.vendor, tables=tables, counts=counts)


def migrations_out_of_step(alias: str = DEFAULT_DB_ALIAS) -> tuple[list[str], list[str]]:
    """(migrations the code has and the database lacks, migrations the database has that the
    code does not know): a backup taken by an older or a newer version of the system."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[alias])
    graph = executor.loader.graph
    pending = [f"{m.app_label}.{m.name}" for m, _ in executor.migration_plan(graph.leaf_nodes())]
    unknown = [
        f"{app}.{name}" for app, name in executor.loader.applied_migrations if (app, name) not in graph.nodes
    ]
    return pending, sorted(unknown)


# --- helpers ----------------------------------------------------------------------------


def pg_connection_args(settings_dict: dict) -> tuple[list[str], dict[str, str]]:
    """Command-line arguments and environment for pg_dump / pg_restore. The password goes
    through PGPASSWORD only: a command line is visible to every user of the machine."""
    options = settings_dict.get("OPTIONS") or {}
    args = ["--no-password"]  # never wait for a password prompt nobody will answer
    env = dict(os.environ)
    if settings_dict.get("HOST"):
        args.append(f"--host={settings_dict['HOST']}")
    if settings_dict.get("PORT"):
        args.append(f"--port={settings_dict['PORT']}")
    if settings_dict.get("USER"):
        args.append(f"--username={settings_dict['USER']}")
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    for option, variable in PG_OPTION_ENV.items():
        if options.get(option):
            env[variable] = str(options[option])
    name = settings_dict.get("NAME")
    if name:
        args.append(f"--dbname={name}")
    elif options.get("service"):
        # pg_restore without a database writes SQL to stdout instead of restoring.
        args.append(f"--dbname=service={options['service']}")
    else:
        raise BackupError("数据库设置中没有数据库名（NAME）。")
    return args, env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"找不到 {name}：请安装与数据库版本相同的 PostgreSQL 客户端（Debian：apt-get install postgresql-client）。"
        )
    return found


def _run(command: list[str], env: dict[str, str] | None, *, failure: str) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        detail = "\n".join(lines[-5:]) or f"退出码 {done.returncode}"
        raise BackupError(f"{failure}\n{os.path.basename(command[0])}：{detail}")
    return done.stdout


def _count_rows(cursor, quote_name, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in KEY_TABLES:
        if table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


def _sqlite_inventory(conn: sqlite3.Connection) -> tuple[list[str], dict[str, int]]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    tables = sorted(name for (name,) in rows)
    cursor = conn.cursor()
    try:
        return tables, _count_rows(cursor, lambda name: '"' + name.replace('"', '""') + '"', tables)
    finally:
        cursor.close()


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    for unit in ("KB", "MB", "GB"):
        size /= 1024
        if size < 1024 or unit == "GB":
            return f"{size:.1f} {unit}"
    return f"{size} B"  # pragma: no cover
