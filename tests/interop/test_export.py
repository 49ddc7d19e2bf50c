"""Exporting 任免审批表: the facts, the current post, the résumé from the post history, the last
three published annual grades in the conventional wording; masked ID numbers for the roles that
may not see them; a unit's zip; scope."""

import datetime
import io
import zipfile

import pytest
from django.urls import reverse
from lxml import etree
from rest_framework.test import APIClient

from assessment.models import Assessment
from audit.models import AuditAction, AuditEntry
from cadres.models import CadreFacts
from interop import exports
from interop.person import ELEMENTS
from tests.factories import CadreFactory, EducationFactory, PostRecordFactory, make_id, make_period, make_user


def _person(data: bytes) -> dict:
    root = etree.fromstring(data)
    return {el.tag: (el.text or "") for el in root}


def test_annual_results_wording_last_three_years_undetermined_without_quotes():
    text = exports.annual_results([(2022, "优秀"), (2023, "称职"), (2024, "不定等次"), (2025, "优秀")])
    assert text == "2023年年度考核“称职”等次；2024年年度考核不定等次；2025年年度考核“优秀”等次。"
    assert exports.annual_results([]) == ""


@pytest.fixture
def exported(place, registered):
    CadreFacts.objects.create(cadre=registered, native_place="湖南长沙", health="健康")
    EducationFactory(
        cadre=registered, level="bachelor", degree="管理学学士", school="湖南大学", major="行政管理"
    )
    EducationFactory(
        cadre=registered, level="college", school="长沙职业技术学院", end_date=datetime.date(1999, 7, 1)
    )
    PostRecordFactory(
        cadre=registered,
        unit_name="城关镇",
        title="科员",
        start_date=datetime.date(2002, 7, 15),
        end_date=datetime.date(2010, 6, 1),
    )
    PostRecordFactory(
        cadre=registered, unit_name="城关镇", title="副镇长", start_date=datetime.date(2010, 6, 1)
    )
    for year, grade, status in ((2022, "优秀", "published"), (2023, "称职", "published"), (2024, "不定等次", "archived"), (2025, "优秀", "published"), (2026, "不称职", "grading")):  # fmt: skip
        period = make_period(year=year, status=status)
        Assessment.objects.create(period=period, cadre=registered, unit=registered.unit, final_grade=grade)
    return registered


def test_cadre_file_carries_registry_post_resume_and_grades(place, exported):
    data = exports.cadre_lrmx(place["staff"], exported)
    root = etree.fromstring(data)
    assert [el.tag for el in root] == [name for name, _ in ELEMENTS]  # the reference order
    p = _person(data)
    assert p["XingMing"] == "张三" and p["XingBie"] == "男" and p["ChuShengNianYue"] == "198005"
    assert p["CanJiaGongZuoShiJian"] == "20020715" and p["RuDangShiJian"] == "200307"
    assert p["JiGuan"] == "湖南长沙" and p["JianKangZhuangKuang"] == "健康"
    assert p["XianRenZhiWu"] == "城关镇副镇长"
    assert p["QuanRiZhiJiaoYu_XueLi"] == "大学本科"
    assert p["QuanRiZhiJiaoYu_XueLi_BiYeYuanXiaoXi"] == "湖南大学行政管理专业"
    assert p["JianLi"].split("\n") == ["2002.07--2010.06  城关镇科员", "2010.06--         城关镇副镇长"]
    # the grading period of 2026 is not published: the last three published are 2023–2025
    assert (
        p["NianDuKaoHeJieGuo"]
        == "2023年年度考核“称职”等次；2024年年度考核不定等次；2025年年度考核“优秀”等次。"
    )
    assert p["ShenFenZheng"] == exported.id_number
    assert b"<![CDATA[" in data  # long texts as the reference writer does
    entry = AuditEntry.objects.get(action=AuditAction.VIEW)
    assert entry.cadre_id == exported.pk and "任免审批表" in entry.object_repr


@pytest.mark.parametrize(
    "role,masked",
    [("staff", False), ("head", False), ("county_admin", False), ("api_reader", True), ("auditor", True)],
)
def test_roles_that_may_not_see_id_numbers_get_them_masked(place, registered, role, masked):
    user = make_user(f"u-{role}", role, place["county"])
    client = APIClient()
    client.force_authenticate(user)
    response = client.get(f"/api/v1/cadres/{registered.pk}/lrmx/")
    assert response.status_code == 200
    number = _person(response.content)["ShenFenZheng"]
    assert (number != registered.id_number) is masked
    if masked:
        assert "*" in number and AuditEntry.objects.filter(action=AuditAction.VIEW).count() == 0


def test_cadre_outside_the_scope_is_404_in_the_api(place):
    outsider = CadreFactory(unit=place["other"], birth_date=place["born"], id_number=make_id(place["born"]))
    client = APIClient()
    client.force_authenticate(place["staff"])
    response = client.get(f"/api/v1/cadres/{outsider.pk}/lrmx/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_unit_zip_holds_a_file_per_cadre_of_the_subtree(client, place, registered):
    other = CadreFactory(
        unit=place["county"], name="李四", birth_date=place["born"], id_number=make_id(place["born"])
    )
    CadreFactory(unit=place["other"], name="外县", birth_date=place["born"], id_number=make_id(place["born"]))
    client.force_login(place["staff"])
    response = client.get(reverse("interop:unit_lrmx", args=[place["county"].pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    names = sorted(zipfile.ZipFile(io.BytesIO(response.content)).namelist())
    assert names == sorted([exports.filename(registered), exports.filename(other)])


def test_unit_zip_over_the_limit_says_to_pick_a_smaller_unit(place, registered, monkeypatch):
    monkeypatch.setattr(exports, "MAX_ZIP", 0)
    client = APIClient()
    client.force_authenticate(place["staff"])
    response = client.get(f"/api/v1/units/{place['county'].pk}/lrmx/")
    assert response.status_code == 400 and "下级单位" in response.json()["error"]["message"]


@pytest.mark.parametrize("n", [2, 12])
def test_unit_zip_reads_one_query_per_table(place, django_assert_num_queries, n):
    for i in range(n):
        c = CadreFactory(
            unit=place["town"], name=f"人{i}", birth_date=place["born"], id_number=make_id(place["born"])
        )
        PostRecordFactory(cadre=c)
        EducationFactory(cadre=c)
    # count, cadres with unit and facts, educations, posts, grades, the audit entry of the view
    with django_assert_num_queries(6):
        exports.unit_zip(place["staff"], place["county"])


def test_profile_and_unit_pages_link_the_exports(client, place, registered):
    client.force_login(place["staff"])
    page = client.get(reverse("cadres:detail", args=[registered.pk])).content.decode()
    assert reverse("interop:cadre_lrmx", args=[registered.pk]) in page and "导出任免审批表" in page
    page = client.get(reverse("cadres:unit_detail", args=[place["town"].pk])).content.decode()
    assert reverse("interop:unit_lrmx", args=[place["town"].pk]) in page
