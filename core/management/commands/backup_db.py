"""``python manage.py backup_db [--output FILE]``: the whole database into one file."""

import time

from django.core.management.base import BaseCommand, CommandError

from core import backup


class Command(BaseCommand):
    help = (
        "备份整个数据库：PostgreSQL 用 pg_dump（custom 格式），SQLite 用在线备份接口；"
        "应用运行时也可以备份。上传的附件和评分表（MEDIA_ROOT）不在其中。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            "-o",
            help="备份文件（默认当前目录下的 backup-YYYYmmdd-HHMMSS.dump，SQLite 为 .sqlite3）；已存在的文件不会被覆盖",
        )

    def handle(self, *args, output=None, **options):
        started = time.monotonic()
        try:
            summary = backup.backup_create(output=output)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"已备份数据库 {backup.database_label()}（{backup.KIND_LABELS[summary.kind]}）"
                f"到 {summary.path}：{backup.human_size(summary.size)}，{len(summary.tables)} 张表，"
                f"用时 {elapsed:.1f} 秒"
            )
        )
        for table, rows in summary.counts.items():
            self.stdout.write(f"  {table:<24} {rows:>10} 行")
        self.stdout.write(f"恢复：python manage.py restore_db {summary.path}")
