"""``manage.py import_sheet FILE --period ID --unit CODE``."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.roles import Role
from assessment.models import Assessment, ImportBatch, ImportStatus
from tests.assessment.test_imports import FIRST, make_sheet, scores


def run(path, period, *extra):
    """(exit code, stdout, stderr) of the command."""
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("import_sheet", str(path), "--period", str(period.pk), *extra, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def admin(users):
    return users[Role.COUNTY_ADMIN]


def test_imports_a_clean_sheet_and_prints_the_counts(admin, annual_period, cadre_a, tmp_path):
    path = tmp_path / "评分表.xlsx"
    path.write_bytes(make_sheet([(cadre_a, scores(77))]))

    code, out, _ = run(path, annual_period, "--user", admin.username, "--unit", "C01A")

    assert code == 0
    assert "数据行 1，通过校验 1，新增 1" in out
    assert Assessment.objects.get(period=annual_period, cadre=cadre_a).scores == scores(77)


def test_dry_run_writes_nothing(admin, annual_period, cadre_a, tmp_path):
    path = tmp_path / "评分表.xlsx"
    path.write_bytes(make_sheet([(cadre_a, scores(77))]))

    code, out, _ = run(path, annual_period, "--user", admin.username, "--dry-run")

    assert code == 0 and "未写入任何数据" in out
    assert Assessment.objects.get(period=annual_period, cadre=cadre_a).scores == {}


def test_errors_are_printed_per_row_and_exit_1(admin, annual_period, cadre_a, cadre_b, tmp_path):
    path = tmp_path / "评分表.xlsx"
    path.write_bytes(make_sheet([(cadre_a, scores(77)), (cadre_b, scores(60))]))

    code, _, err = run(path, annual_period, "--user", admin.username)

    assert code == 1
    # 李四 is in another county: his row reads like an unknown ID number, naming nobody
    assert (
        f"第{FIRST + 1}行 身份证号：身份证号 {cadre_b.id_number} 对应的干部不存在或不在您的管辖范围内。"
        in err
    )
    assert "李四" not in err and "乙" not in err
    assert Assessment.objects.get(period=annual_period, cadre=cadre_a).scores == {}


def test_same_file_twice_says_nothing_to_update(admin, annual_period, cadre_a, tmp_path):
    path = tmp_path / "评分表.xlsx"
    path.write_bytes(make_sheet([(cadre_a, scores(77))]))
    run(path, annual_period, "--user", admin.username)

    code, out, _ = run(path, annual_period, "--user", admin.username)

    assert code == 0 and "没有需要更新的数据" in out
    assert ImportBatch.objects.filter(status=ImportStatus.COMMITTED).count() == 2


def test_a_refused_file_exits_1_with_the_chinese_message(admin, annual_period, tmp_path):
    path = tmp_path / "评分表.xlsx"
    path.write_bytes(b"not a spreadsheet")

    code, _, err = run(path, annual_period, "--user", admin.username)

    assert code == 1 and "文件被拒绝" in err


def test_unknown_unit_code_is_a_command_error(admin, annual_period, tmp_path):
    path = tmp_path / "评分表.xlsx"
    path.write_bytes(b"x")

    with pytest.raises(CommandError, match="单位代码 NOPE 不存在"):
        run(path, annual_period, "--user", admin.username, "--unit", "NOPE")
