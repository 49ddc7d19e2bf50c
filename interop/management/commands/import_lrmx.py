"""``manage.py import_lrmx --user <username> --unit <code> FILE [FILE ...]``: import 任免审批表
files (.lrmx, .lrm with its .pic, or .zip of them) as the upload page does: the preview is
printed, and with ``--commit`` the batch is written (all or nothing, audited)."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from cadres.models import Unit
from interop import services
from interop.errors import UploadRejected
from interop.models import BatchStatus


class Command(BaseCommand):
    help = "导入干部任免审批表（LRMX/LRM 文件或其 zip 压缩包）：先预览，加 --commit 才写入。"

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help=".lrmx / .lrm / .pic / .zip 文件")
        parser.add_argument("--user", required=True, help="以哪个用户的身份导入（权限和管辖范围按该用户）")
        parser.add_argument("--unit", required=True, help="新登记干部所在单位的单位代码")
        parser.add_argument("--kind", default="", help="新登记干部的干部类别（如 general、leader_ke）")
        parser.add_argument("--rank", default="", help="新登记干部的职级（如 staff、fu_ke）")
        parser.add_argument("--identity", default="", help="新登记干部的身份类别（如 civil_servant）")
        parser.add_argument("--commit", action="store_true", help="预览没有错误时写入")

    def handle(self, *args, **opts):
        try:
            user = User.objects.get(username=opts["user"])
        except User.DoesNotExist:
            raise CommandError(f"用户“{opts['user']}”不存在。") from None
        try:
            unit = Unit.objects.get(code=opts["unit"])
        except Unit.DoesNotExist:
            raise CommandError(f"单位代码“{opts['unit']}”不存在。") from None
        files = []
        for name in opts["files"]:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"文件“{name}”不存在。")
            files.append((path.name, path.read_bytes()))
        defaults = {k: opts[k] for k in ("kind", "rank", "identity") if opts[k]}
        try:
            batch = services.batch_create(actor=user, unit=unit, files=files, defaults=defaults)
        except UploadRejected as exc:
            raise CommandError(exc.message) from None
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        self.stdout.write(
            f"批次 {batch.pk}：{batch.files_total} 份文件，新登记 {batch.files_new}，更新 {batch.files_changed}，"
            f"无变化 {batch.files_unchanged}，错误 {len(batch.errors)}"
        )
        for note in batch.notes:
            self.stdout.write(f"  说明：{note}")
        for entry in batch.preview:
            if entry["action"] in ("create", "update"):
                label = "新登记" if entry["action"] == "create" else "更新"
                self.stdout.write(f"  {entry['file']}：{label} {entry['name']}")
                for label, old, new in entry["changes"]:
                    self.stdout.write(f"    {label}：{old} → {new}")
        for error in batch.errors:
            self.stderr.write(f"  错误 {error['file']} {error['element']}：{error['message']}")
        if batch.errors:
            raise CommandError("有错误，未写入任何数据。")
        if not opts["commit"]:
            self.stdout.write("仅预览，未写入。加 --commit 写入。")
            return
        batch = services.batch_commit(actor=user, batch=batch)
        if batch.status != BatchStatus.COMMITTED:
            raise CommandError(batch.message)
        self.stdout.write(batch.message)
