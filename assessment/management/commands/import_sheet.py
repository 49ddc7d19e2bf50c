"""``manage.py import_sheet FILE --period ID --unit CODE``: the Excel import from a shell.

The same path as the page and the API (``services/imports.py``): validate, then commit unless
``--dry-run``. Prints the counts and each error as ``第N行 列名：消息``; exits 1 when the file
is refused or has errors, and then nothing is written. A sheet without a column for some
indicators of the scheme, whose stored scores it would keep, is written only with
``--keep-missing`` (exit 1 otherwise, nothing written).
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from assessment.models import ImportStatus, Period
from assessment.services import imports as services
from cadres.models import Unit


class Command(BaseCommand):
    help = "导入考核评分表（xlsx / xlsm / xls / csv）：先校验，无错误时写入。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="评分表文件路径")
        parser.add_argument("--period", required=True, type=int, help="考核期 id")
        parser.add_argument("--unit", help="单位代码；省略为导入人的全部管辖范围")
        parser.add_argument("--user", help="以该用户名导入（其角色和管辖范围生效）；省略时用第一个超级管理员")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")
        parser.add_argument("--sheet", help="工作表名称；省略时按表头识别")
        parser.add_argument(
            "--keep-missing",
            action="store_true",
            help="确认：表中没有对应列的指标保留系统中原有的得分（否则不写入）",
        )

    def _fail(self, message: str):
        self.stderr.write(message)
        raise SystemExit(1)

    def handle(self, *args, **opts):
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        user = self._user(opts.get("user"))
        period = Period.objects.filter(pk=opts["period"]).first()
        if period is None:
            raise CommandError(f"考核期 {opts['period']} 不存在。")
        unit = None
        if opts.get("unit"):
            unit = Unit.objects.filter(code=opts["unit"]).first()
            if unit is None:
                raise CommandError(f"单位代码 {opts['unit']} 不存在。")
        if path.stat().st_size > services.max_bytes():
            self._fail(
                f"文件被拒绝：文件过大，上限为 {services.max_bytes() // 1024 // 1024} MB。未写入任何数据。"
            )
        try:
            batch = services.import_validate(
                actor=user,
                period=period,
                unit=unit,
                data=path.read_bytes(),
                filename=path.name,
                sheet=opts.get("sheet"),
            )
            if batch.status == ImportStatus.VALIDATED and not opts["dry_run"]:
                refused = services.confirmation_needed(batch, opts["keep_missing"])
                if refused:
                    self._report(batch, False)
                    self._fail(f"{refused}如确认，请加 --keep-missing 重新运行。")
                try:
                    batch = services.import_commit(
                        actor=user, batch=batch, sheet=opts.get("sheet"), keep_missing=opts["keep_missing"]
                    )
                except ValidationError:
                    batch.refresh_from_db()
        except services.ImportRejected as exc:
            self._fail(f"文件被拒绝：{exc.message}未写入任何数据。")
        except PermissionDenied as exc:
            self._fail(str(exc))
        self._report(batch, opts["dry_run"])
        if batch.status != ImportStatus.COMMITTED and not (
            opts["dry_run"] and batch.status == ImportStatus.VALIDATED
        ):
            raise SystemExit(1)

    def _user(self, username):
        User = get_user_model()
        if username:
            user = User.objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"用户 {username} 不存在。")
            return user
        user = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
        if user is None:
            raise CommandError("请用 --user 指定导入人。")
        return user

    def _report(self, batch, dry_run: bool) -> None:
        out = self.stdout
        out.write(f"批次 {batch.pk}：{batch.original_name}（{batch.get_status_display()}）")
        out.write(
            f"数据行 {batch.rows_total}，通过校验 {batch.rows_ok}，新增 {batch.rows_new}，"
            f"修改 {batch.rows_changed}，无变化 {batch.rows_unchanged}，错误 {len(batch.errors)}"
        )
        preview = batch.preview or {}
        if preview.get("ignored"):
            out.write("未识别、已忽略的列：" + "、".join(f"“{h}”" for h in preview["ignored"]))
        for r in preview.get("readings") or []:
            rows = "、".join(str(n) for n in r["rows"])
            more = f"等 {r['count']} 处" if r["count"] > len(r["rows"]) else ""
            out.write(f"“{r['column']}”列“{r['text']}”读作 {r['value']}（第{rows}行{more}）")
        for e in batch.errors:
            where = f"第{e['row']}行 " if e.get("row") else "整表 "
            column = f"{e['column']}：" if e.get("column") else ""
            self.stderr.write(f"{where}{column}{e['message']}")
        if batch.message:
            (self.stderr if batch.errors else out).write(batch.message)
        if dry_run and batch.status == ImportStatus.VALIDATED:
            out.write("试运行（--dry-run）：未写入任何数据。")
