"""``manage.py backup_db`` / ``restore_db``: the whole database out to a file and back, on the
database the suite runs on (pg_dump / pg_restore on PostgreSQL, the online backup API on SQLite)."""

import hashlib
import os
import re
import sqlite3
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError

from accounts.models import User
from accounts.roles import Role
from assessment.models import Assessment
from audit.models import AuditAction, AuditEntry
from audit.services import audit_record
from cadres.models import Cadre, Unit, UnitKind
from core import backup
from incentives.models import CareRecord
from tests.factories import CadreFactory, make_user, unit_child

# pg_dump and pg_restore work in sessions of their own: they see committed rows only, and the
# restore drops tables, so a test that runs them commits (and is flushed afterwards).
committing = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Tables whose whole contents are compared, not only their row counts.
COMPARED = (
    "cadres_unit",
    "cadres_cadre",
    "cadres_postrecord",
    "assessment_assessment",
    "supervision_interview",
    "audit_auditentry",
    "accounts_user",
)


def fingerprint():
    """Row counts of every table, and a checksum of the rows of a few, ordered by id."""
    with connection.cursor() as cursor:
        tables = sorted(connection.introspection.table_names(cursor))
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
        sums = {}
        for table in COMPARED:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY id")
            sums[table] = hashlib.sha256(repr(cursor.fetchall()).encode()).hexdigest()
    return {"counts": counts, "rows": sums}


def restore(path, **options):
    out = StringIO()
    call_command("restore_db", str(path), stdout=out, **options)
    return out.getvalue()


def backup_to(path):
    out = StringIO()
    call_command("backup_db", output=str(path), stdout=out)
    return out.getvalue()


def change_everything():
    """What a day of work (or a mistake) does: a new unit, cadres renamed and deleted with their
    assessments, a new audit entry."""
    root = Unit.objects.get_first_root_node()
    unit_child(root, "Z99", "备份后新建单位", UnitKind.DEPARTMENT)
    cadres = list(Cadre.objects.order_by("id")[:40])
    Cadre.objects.filter(pk__in=[c.pk for c in cadres[:10]]).update(name="已改名")
    deleted = 0
    for cadre in cadres[10:]:
        Assessment.objects.filter(cadre=cadre).delete()
        CareRecord.objects.filter(cadre=cadre).delete()  # the demo's yearly health checks and leave
        try:
            with transaction.atomic():
                cadre.delete()
        except ProtectedError:  # a clue, a sanction... keeps this one
            continue
        deleted += 1
        if deleted == 5:
            break
    assert deleted == 5
    audit_record(
        actor=None, action=AuditAction.UPDATE, instance=cadres[0], before={"name": "甲"}, after={"name": "乙"}
    )


@committing
def test_demo_data_comes_back_exactly_as_backed_up(tmp_path):
    call_command("seed_demo", cadres=242, stdout=StringIO())
    before = fingerprint()
    assert before["counts"]["cadres_cadre"] == 242

    written = backup_to(tmp_path / "demo-backup")
    assert (tmp_path / "demo-backup").is_file()
    assert "已备份数据库" in written
    assert re.search(r"cadres_cadre\s+242 行", written)
    assert re.search(rf"assessment_assessment\s+{before['counts']['assessment_assessment']} 行", written)
    assert re.search(rf"audit_auditentry\s+{before['counts']['audit_auditentry']} 行", written)

    change_everything()
    assert fingerprint() != before

    said = restore(tmp_path / "demo-backup", yes=True)

    assert fingerprint() == before
    assert "已从" in said and re.search(r"cadres_cadre\s+242 行", said)
    # New rows get fresh ids: the sequences came back with the rows.
    unit_child(Unit.objects.get_first_root_node(), "Z99", "备份后新建单位", UnitKind.DEPARTMENT)
    CadreFactory(unit=Unit.objects.get(code="Z99"))
    # The append-only trigger came back with the audit table.
    entry_id = AuditEntry.objects.latest("id").id
    refused = ["UPDATE audit_auditentry SET reason = 'x' WHERE id = %s"]
    if connection.vendor == "postgresql":
        refused.append("DELETE FROM audit_auditentry WHERE id = %s")
    for sql in refused:
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry_id])


@pytest.fixture
def small_data(tree, users):
    CadreFactory.create_batch(3, unit=tree["town_a"])
    return tree


def test_a_file_that_is_not_a_backup_is_refused_and_nothing_changes(tmp_path, small_data):
    before = fingerprint()
    notes = tmp_path / "notes.txt"
    notes.write_text("这不是备份\n", encoding="utf-8")
    with pytest.raises(CommandError, match="不是本系统的备份文件.*数据库未改动"):
        restore(notes, yes=True)
    assert fingerprint() == before


def test_a_backup_of_the_other_kind_of_database_is_refused(tmp_path, small_data):
    before = fingerprint()
    other = tmp_path / "other-kind"
    if connection.vendor == "sqlite":
        other.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 200)
        expected = "这是 PostgreSQL 数据库的备份，当前数据库是 SQLite"
    else:
        made = sqlite3.connect(other)
        made.execute("CREATE TABLE django_migrations (id integer)")
        made.commit()
        made.close()
        expected = "这是 SQLite 数据库的备份，当前数据库是 PostgreSQL"
    with pytest.raises(CommandError, match=expected):
        restore(other, yes=True)
    assert fingerprint() == before


def test_a_database_of_another_system_is_refused(tmp_path, small_data):
    """The right kind of file, but without this system's tables."""
    before = fingerprint()
    foreign = tmp_path / "foreign"
    if connection.vendor == "sqlite":
        made = sqlite3.connect(foreign)
        made.execute("CREATE TABLE django_migrations (id integer)")
        made.commit()
        made.close()
    else:
        args, env = backup.pg_connection_args(connection.settings_dict)
        command = ["pg_dump", "--format=custom", "--table=django_migrations", f"--file={foreign}", *args]
        subprocess.run(command, env=env, check=True)
    with pytest.raises(CommandError, match="缺少数据表 audit_auditentry、cadres_cadre"):
        restore(foreign, yes=True)
    assert fingerprint() == before


@committing
def test_a_damaged_backup_fails_and_leaves_the_database_as_it_was(tmp_path, small_data):
    path = tmp_path / "damaged"
    backup_to(path)
    data = path.read_bytes()
    # PostgreSQL: the table of contents stays readable and the last table's data is cut, so
    # pg_restore has dropped and recreated everything before it fails: the single transaction
    # must undo it all. SQLite: half a file does not pass the integrity check.
    path.write_bytes(data[:-10] if connection.vendor == "postgresql" else data[: len(data) // 2])
    CadreFactory(unit=small_data["town_b"], name="备份后新增")
    before = fingerprint()

    expected = "恢复失败，数据库未改动" if connection.vendor == "postgresql" else "已损坏.*数据库未改动"
    with pytest.raises(CommandError, match=expected):
        restore(path, yes=True)

    assert fingerprint() == before
    assert Cadre.objects.filter(name="备份后新增").exists()


@committing
def test_restore_asks_first_and_an_empty_or_closed_input_means_no(tmp_path, small_data):
    path = tmp_path / "asked"
    backup_to(path)
    CadreFactory(unit=small_data["town_b"], name="备份后新增")
    make_user("after_backup", Role.STAFF, small_data["city"])
    before = fingerprint()

    for answer in ("", "no\n"):
        with pytest.raises(CommandError, match="已取消，数据库未改动"):
            restore(path, stdin=StringIO(answer))
        assert fingerprint() == before

    said = restore(path, stdin=StringIO("yes\n"))
    assert "继续请输入 yes" in said
    assert not Cadre.objects.filter(name="备份后新增").exists()
    assert not User.objects.filter(username="after_backup").exists()
    # The users of the backup came back with their password hashes.
    assert User.objects.get(username="staff_a").check_password("pass-12345")


@committing
def test_backup_takes_a_dated_name_by_default_and_never_overwrites(tmp_path, monkeypatch, small_data):
    monkeypatch.chdir(tmp_path)
    backup_to_default = StringIO()
    call_command("backup_db", stdout=backup_to_default)
    (made,) = tmp_path.iterdir()
    suffix = ".dump" if connection.vendor == "postgresql" else ".sqlite3"
    assert re.fullmatch(rf"backup-\d{{8}}-\d{{6}}\{suffix}", made.name)
    assert made.name in backup_to_default.getvalue()
    # It holds full ID numbers: readable by its owner only.
    assert made.stat().st_mode & 0o077 == 0

    kept = made.read_bytes()
    with pytest.raises(CommandError, match="文件已存在，不会覆盖"):
        call_command("backup_db", output=str(made), stdout=StringIO())
    assert made.read_bytes() == kept
    assert list(tmp_path.iterdir()) == [made]  # no half-written file left behind


def test_a_refusal_exits_with_code_1_and_says_why_in_chinese(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    done = subprocess.run(
        [sys.executable, "manage.py", "restore_db", str(tmp_path / "missing.dump"), "--yes"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "备份文件不存在" in done.stderr
    assert "数据库未改动" in done.stderr


def test_the_postgresql_password_goes_through_the_environment_not_the_command_line():
    args, env = backup.pg_connection_args(
        {
            "NAME": "cadre",
            "USER": "cadre",
            "PASSWORD": "s3cret-pw",
            "HOST": "db",
            "PORT": 5432,
            "OPTIONS": {"sslmode": "require"},
        }
    )
    assert not any("s3cret-pw" in arg for arg in args)
    assert env["PGPASSWORD"] == "s3cret-pw"
    assert env["PGSSLMODE"] == "require"
    assert args == ["--no-password", "--host=db", "--port=5432", "--username=cadre", "--dbname=cadre"]
