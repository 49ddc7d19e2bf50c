"""``python manage.py seed_demo``: a demo city with cadres, teams and a login for every role."""

import time

from django.core.management.base import BaseCommand, CommandError

from cadres import demo
from core import registry

URL = "http://127.0.0.1:8000"  # runserver's default; ./dev start passes --url when PORT is set


class Command(BaseCommand):
    help = "生成演示数据：江州市的单位、干部、领导班子和各角色登录账号（已存在则只重置账号密码）。"

    def add_arguments(self, parser):
        parser.add_argument("--cadres", type=int, default=2000, help="干部人数（默认 2000）")
        parser.add_argument(
            "--seed", type=int, default=demo.DEFAULT_SEED, help="随机种子，相同种子生成相同数据"
        )
        parser.add_argument("--password", default=demo.DEFAULT_PASSWORD, help="演示账号的密码")
        parser.add_argument("--url", default=URL, help=f"登录提示中显示的访问地址（默认 {URL}）")
        parser.add_argument(
            "--no-assessments",
            action="store_true",
            help="不生成演示考核期和考核结果（基准测试用；同 --skip assessment）",
        )
        parser.add_argument(
            "--skip",
            action="append",
            default=[],
            metavar="PART",
            help="不生成某部分演示数据（可重复）：" + "、".join(s.key for s in registry.demo_steps()),
        )

    def handle(self, *args, cadres, seed, password, url=URL, no_assessments=False, skip=(), **options):
        skipped = set(skip) | ({"assessment"} if no_assessments else set())
        unknown = skipped - {s.key for s in registry.demo_steps()}
        if unknown:
            raise CommandError("未知的演示数据部分：" + "、".join(sorted(unknown)))
        started = time.monotonic()
        try:
            result = demo.seed_demo(cadres=cadres, seed=seed, password=password)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if result["created"]:
            # the apps above the registry add their parts (core/registry.py, from their ready())
            for step in registry.demo_steps():
                if step.key not in skipped:
                    result["counts"].update(step.seed(seed=seed))
        elapsed = time.monotonic() - started
        out = self.stdout
        if result["created"]:
            c = result["counts"]
            out.write(
                self.style.SUCCESS(
                    f"已生成演示数据 / demo data created in {elapsed:.1f}s: "
                    f"{c['units']} 个单位 units, {c['cadres']} 名干部 cadres, "
                    f"{c['educations']} 条学历 educations, {c['posts']} 条任职经历 posts, "
                    f"{c['team_members']} 名班子成员 team members, "
                    f"{c.get('talks', 0)} 条谈话记录 talks, {c.get('yuetan', 0)} 起约谈 formal interviews, "
                    f"{c.get('periods', 0)} 个考核期 periods, {c.get('assessments', 0)} 条考核结果 assessments"
                )
            )
        else:
            out.write(self.style.WARNING("演示数据已存在 / demo data already present — 仅重置演示账号密码"))
        out.write("")
        out.write("=" * 64)
        out.write(f"访问地址 / URL: {url}")
        out.write(f"演示密码 / password (all demo users): {password}")
        out.write("登录账号 / logins:")
        for username, role, unit in result["users"]:
            out.write(f"  {username:<15} {role}（{unit}）")
        out.write("例如 / e.g.: 组织部 staff → zzb_staff, 县级管理员 county admin → county1_admin")
        out.write("=" * 64)
