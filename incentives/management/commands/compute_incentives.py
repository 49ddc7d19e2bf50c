"""``manage.py compute_incentives --period ID [--unit CODE]``: compute the 三挂钩 lists of a
published annual period now (the job's service, in this process), and print the counts."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from assessment.models import Period
from cadres.models import Unit
from incentives.lists import lists_compute


class Command(BaseCommand):
    help = "计算已公布年度考核期的激励名单（三挂钩）。"

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, type=int, help="年度考核期 id")
        parser.add_argument("--unit", help="单位代码；省略为全部单位")

    def handle(self, *args, **opts):
        period = Period.objects.filter(pk=opts["period"]).first()
        if period is None:
            raise CommandError(f"考核期 {opts['period']} 不存在。")
        unit = None
        if opts.get("unit"):
            unit = Unit.objects.filter(code=opts["unit"]).first()
            if unit is None:
                raise CommandError(f"单位代码 {opts['unit']} 不存在。")
        try:
            summary = lists_compute(period=period, unit=unit, reason="命令行计算激励名单")
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        self.stdout.write(
            f"{period.name}：{summary['cadres']} 名干部，{summary['entries']} 个名单条目"
            f"（符合条件 {summary['eligible']}）；新增 {summary['created']}，变化 {summary['updated']}，"
            f"移出 {summary['deleted']}。"
        )
