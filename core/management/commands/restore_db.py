"""``python manage.py restore_db FILE [--yes]``: replace the whole database with a backup."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from core import backup

ANSWERS_YES = {"yes", "y", "是"}


class Command(BaseCommand):
    help = (
        "用 backup_db 生成的备份替换整个数据库（当前数据全部丢失）。全部恢复或什么都不改："
        "文件不存在、不是本系统的备份或类型不对（如把 SQLite 备份给 PostgreSQL）时拒绝，退出码 1。"
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("file", help="备份文件（backup_db 生成）")
        parser.add_argument("--yes", action="store_true", help="不再询问，直接恢复")

    def handle(self, *args, file, yes=False, **options):
        try:
            summary = backup.backup_check(file)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self._describe(summary)
        database = backup.database_label()
        if not yes and not self._confirm(database, options.get("stdin") or sys.stdin):
            raise CommandError(f"已取消，{backup.UNCHANGED}")
        started = time.monotonic()
        try:
            after = backup.backup_restore(summary.path, checked=summary)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"已从 {summary.path} 恢复数据库 {database}：{len(after.tables)} 张表，用时 {elapsed:.1f} 秒"
            )
        )
        for table, rows in after.counts.items():
            self.stdout.write(f"  {table:<24} {rows:>10} 行")
        pending, unknown = backup.migrations_out_of_step()
        if pending:
            self.stdout.write(
                self.style.WARNING(
                    f"备份早于当前版本，还有 {len(pending)} 个迁移未应用：请运行 python manage.py migrate"
                )
            )
        if unknown:
            self.stdout.write(
                self.style.WARNING(
                    f"备份来自更新的版本（当前代码不认识的迁移：{'、'.join(unknown[:5])}"
                    f"{' 等' if len(unknown) > 5 else ''}），请部署相应版本的代码。"
                )
            )

    def _describe(self, summary):
        facts = [
            backup.KIND_LABELS[summary.kind],
            backup.human_size(summary.size),
            f"{len(summary.tables)} 张表",
        ]
        if summary.source:
            facts.append(f"来自数据库 {summary.source}")
        if summary.created:
            facts.append(f"生成于 {summary.created}")
        self.stdout.write(f"备份文件：{summary.path}（{'，'.join(facts)}）")
        for table, rows in summary.counts.items():
            self.stdout.write(f"  {table:<24} {rows:>10} 行")

    def _confirm(self, database, stdin) -> bool:
        self.stdout.write(
            f"将用这个备份替换数据库 {database} 中的全部数据，现有数据会丢失。继续请输入 yes：", ending=""
        )
        self.stdout.flush()
        try:
            answer = stdin.readline()
        except (EOFError, OSError):  # no terminal (CI, pytest): that is a no
            answer = ""
        if not _is_terminal(stdin):  # a terminal echoed the Enter; a pipe did not
            self.stdout.write("")
        return answer.strip().lower() in ANSWERS_YES


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False
