"""``python manage.py rotate_encryption_keys [--rehash]``: see cadres/keys.py."""

from django.core.management.base import BaseCommand, CommandError

from cadres.keys import BATCH_SIZE, RotationCounts, encryption_keys_rotate
from core.crypto import UndecryptableValue


class Command(BaseCommand):
    help = (
        "用 DJANGO_FIELD_ENCRYPTION_KEYS 的第一个密钥重新加密所有加密字段（身份证号、联系电话）；"
        "--rehash 在更换 DJANGO_ID_HASH_KEY 后重新计算身份证号摘要。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--rehash", action="store_true", help="DJANGO_ID_HASH_KEY 已更换：重新计算身份证号摘要"
        )
        parser.add_argument(
            "--batch-size", type=int, default=BATCH_SIZE, help=f"每批干部数（默认 {BATCH_SIZE}）"
        )

    def handle(self, *args, rehash=False, batch_size=BATCH_SIZE, **options):
        def report(c: RotationCounts):
            self.stdout.write(
                f"已处理 {c.rows} 名干部：重新加密 {c.reencrypted} 个值，更新摘要 {c.rehashed} 个"
            )

        try:
            counts = encryption_keys_rotate(rehash=rehash, batch_size=batch_size, report=report)
        except UndecryptableValue as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"完成：共 {counts.rows} 名干部，重新加密 {counts.reencrypted} 个值，"
                f"更新摘要 {counts.rehashed} 个，写入 {counts.written} 行。"
            )
        )
