"""Benchmark: import 1,000 任免审批表 (LRMX) in one zip on PostgreSQL, preview and commit.

    .venv/bin/python bench/lrmx.py

Uses ``DATABASE_URL`` (must be PostgreSQL); without it, the database ``cadre_lrmx_bench`` on
postgres://postgres@127.0.0.1:5432 (created when missing; not ``cadre_bench``, so the other
benchmarks' city is left alone). A unit of its own holds 500 registered cadres, whose files
change their post, résumé and facts; the other 500 files register new cadres. Every file has a
photo, a family, two educations and a five-line résumé. The bench unit's cadres are removed
first, so every run does the same work. Times ``batch_create`` (read, check, preview) and
``batch_commit`` (read again, check again, bulk writes, audit) through the services the page
uses. The last line is ``RESULT lrmx_1000_s=<preview+commit> preview_s=<> commit_s=<> queries=<>``;
the target is 10 seconds.
"""

import datetime
import io
import os
import sys
import time
import zipfile

from _setup import DEFAULT_SERVER, _prepare_database, django_on_postgres

FILES = 1000
REGISTERED = 500
DB = "cadre_lrmx_bench"
UNIT_CODE = "LRMX-BENCH"


def main() -> int:
    if "DATABASE_URL" not in os.environ:
        _prepare_database(DEFAULT_SERVER, DB, fresh=False)
        os.environ["DATABASE_URL"] = f"{DEFAULT_SERVER}/{DB}"
    failed = django_on_postgres("bench/lrmx.py")
    if failed is not None:
        return failed
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from PIL import Image

    from accounts.models import User
    from cadres import idnumber
    from cadres.models import Cadre, Unit
    from interop import lrmx, services
    from interop.person import Person

    call_command("migrate", verbosity=0)
    unit = Unit.objects.filter(code=UNIT_CODE).first()
    if unit is None:
        unit = Unit.objects.add_root(create_kwargs={"code": UNIT_CODE, "name": "基准县", "kind": "county"})
    Cadre.objects.filter(unit__path__startswith=unit.path).delete()
    user, _ = User.objects.get_or_create(
        username="lrmx-bench", defaults={"is_superuser": True, "is_staff": True}
    )

    buf = io.BytesIO()
    Image.new("RGB", (90, 120), (200, 180, 160)).save(buf, "JPEG", quality=80)
    photo = buf.getvalue()
    born = datetime.date(1975, 1, 1)
    registered = []
    for i in range(REGISTERED):
        day = born + datetime.timedelta(days=i)
        registered.append(
            Cadre(
                unit=unit,
                name=f"在册{i}",
                gender="M",
                id_number=idnumber.make("430121", day, 11 + 2 * (i % 400)),
                birth_date=day,
                work_start_date=datetime.date(1997, 7, 1),
                political_status="cpc",
                party_join_date=datetime.date(2000, 7, 1),
                identity="civil_servant",
                kind="general",
                rank="staff",
                post_title="科员",
            )  # fmt: skip
        )
    digest = idnumber.digester()
    from cadres import search

    for c in registered:
        c.id_number_hash = digest(c.id_number)
        c.id_tail_hash = search.tail_digest(c.id_number)
        c.id_number_masked = idnumber.mask(c.id_number)
        c.name_initials = search.name_initials(c.name)
    Cadre.objects.bulk_create(registered, batch_size=500)

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(FILES):
            if i < REGISTERED:
                number, name = registered[i].id_number, registered[i].name
            else:
                day = born + datetime.timedelta(days=i)
                number, name = idnumber.make("430122", day, 13 + 2 * (i % 400)), f"新人{i}"
            person = Person(
                values={
                    "XingMing": name, "XingBie": "男", "ChuShengNianYue": f"{idnumber.birth_date(number):%Y%m}",
                    "MinZu": "汉族", "JiGuan": "湖南长沙", "ChuShengDi": "湖南宁乡", "RuDangShiJian": "200007",
                    "CanJiaGongZuoShiJian": "199707", "JianKangZhuangKuang": "健康",
                    "QuanRiZhiJiaoYu_XueLi": "大学本科", "QuanRiZhiJiaoYu_XueWei": "管理学学士",
                    "QuanRiZhiJiaoYu_XueLi_BiYeYuanXiaoXi": "湖南大学行政管理专业",
                    "ZaiZhiJiaoYu_XueLi": "研究生", "ZaiZhiJiaoYu_XueLi_BiYeYuanXiaoXi": "中共湖南省委党校经济管理专业",
                    "XianRenZhiWu": "基准县城关镇党委副书记",
                    "JianLi": "\n".join([
                        "1993.09--1997.07  湖南大学行政管理专业学生", "1997.07--2003.03  城关镇党政办科员",
                        "2003.03--2010.06  城关镇党委委员", "2010.06--2016.01  城关镇副镇长",
                        "2016.01--         城关镇党委副书记", "（其间：2011.09--2014.07在省委党校在职研究生班学习）",
                    ]),
                    "JiangChengQingKuang": "2019年度获县优秀共产党员称号", "ShenFenZheng": number,
                },
                family=[
                    {"relation": "妻子", "name": "李某", "birth": "197803", "politics": "中共党员", "work": "某局科员"},
                    {"relation": "儿子", "name": "张某", "birth": "200305", "politics": "共青团员", "work": "学生"},
                ],
                photo=photo,
            )  # fmt: skip
            z.writestr(f"{name}.lrmx", lrmx.write(person))
    data = archive.getvalue()
    print(f"zip of {FILES} files: {len(data) / 1024 / 1024:.1f} MB", file=sys.stderr)

    import cProfile

    prof = cProfile.Profile()  # PROFILE=1: where the time goes, on stderr
    if os.environ.get("PROFILE"):
        prof.enable()
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        batch = services.batch_create(actor=user, unit=unit, files=[("县里.zip", data)])
        preview = time.perf_counter() - start
        if batch.errors:
            print(batch.errors[:5], file=sys.stderr)
            return 1
        start = time.perf_counter()
        batch = services.batch_commit(actor=user, batch=batch)
        commit = time.perf_counter() - start
    prof.disable()
    if os.environ.get("PROFILE"):
        import pstats

        pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(45)
    assert batch.status == "committed", batch.message
    assert (batch.files_new, batch.files_changed) == (FILES - REGISTERED, REGISTERED), batch.message
    print(batch.message, file=sys.stderr)
    print(
        f"RESULT lrmx_1000_s={preview + commit:.2f} preview_s={preview:.2f} commit_s={commit:.2f} queries={len(queries)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
