"""Two villages called 光明村 (under 城关镇 and under 河西镇) are told apart — 光明村（城关镇）,
光明村（河西镇） — on every page and export that names a unit, never shown as a bare 光明村."""

import datetime
import io
import re
from urllib.parse import unquote

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.roles import Role
from assessment.models import PeriodStatus
from assessment.services.imports import import_validate
from assessment.services.periods import period_create, period_transition
from assessment.services.policy import policy_rule_save
from cadres.models import PostKind, PostRecord, UnitKind
from cadres.services import cadre_update, history_save, team_member_add, unit_update
from supervision.models import InterviewKind, InterviewReason
from supervision.services import interviews as talks
from supervision.services import records
from tests.assessment.test_imports import make_sheet, scores
from tests.factories import CadreFactory, make_user, unit_child

CHENGGUAN, HEXI = "光明村（城关镇）", "光明村（河西镇）"


@pytest.fixture(autouse=True)
def today(clock):
    return clock.set("2026-06-15")


@pytest.fixture
def villages(tree):
    """城关镇 and 河西镇 in 甲县, each with a village called 光明村 and a cadre there."""
    chengguan = unit_child(tree["county_a"], "C01A02", "城关镇", UnitKind.TOWNSHIP)
    hexi = unit_child(tree["county_a"], "C01A03", "河西镇", UnitKind.TOWNSHIP)
    made = {
        "chengguan_town": chengguan,
        "hexi_town": hexi,
        "chengguan": unit_child(chengguan, "C01A0201", "光明村", UnitKind.VILLAGE),
        "hexi": unit_child(hexi, "C01A0301", "光明村", UnitKind.VILLAGE),
    }
    made["wang"] = CadreFactory(unit=made["chengguan"], name="王村官")
    made["zhao"] = CadreFactory(unit=made["hexi"], name="赵村官")
    return made


@pytest.fixture
def staff(client, users):
    client.force_login(users[Role.STAFF])
    return users[Role.STAFF]


def bare(text: str) -> list[str]:
    """Every 光明村 not told apart by its township, with the text before it."""
    return [text[max(m.start() - 80, 0) : m.end()] for m in re.finditer(r"光明村(?!（)", text)]


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def main(html: str) -> str:
    return html.split("<main", 1)[1]


def both(text: str) -> None:
    assert CHENGGUAN in text and HEXI in text
    assert not bare(text)


# ---------------------------------------------------------------- supervision files


def test_the_clue_list_and_clue_page_name_the_village_with_its_township(client, staff, villages):
    day = datetime.date(2026, 5, 1)
    clue = records.clue_create(
        actor=staff, cadre=villages["wang"], source="petition", received_on=day, summary="来信"
    )
    records.clue_create(
        actor=staff, cadre=villages["zhao"], source="petition", received_on=day, summary="来信"
    )
    both(main(page(client, reverse("supervision:clue_list"))))
    assert CHENGGUAN in page(client, reverse("supervision:clue_detail", args=[clue.pk]))
    # once the other village is renamed, 光明村 is unambiguous and keeps its plain name
    unit_update(actor=staff, unit=villages["hexi"], name="红星村", code="C01A0301")
    html = main(page(client, reverse("supervision:clue_list")))
    assert "光明村" in html and "（城关镇）" not in html


def test_the_spot_check_list_names_the_village_with_its_township(client, staff, villages):
    for cadre in (villages["wang"], villages["zhao"]):
        records.matters_check_create(
            actor=staff, cadre=cadre, year=2025, checked_on=datetime.date(2026, 3, 1), outcome="truthful"
        )
    both(main(page(client, reverse("supervision:check_list"))))


def test_the_review_list_and_a_secretarys_list_name_the_village_with_its_township(client, staff, villages):
    for cadre in (villages["wang"], villages["zhao"]):
        records.review_item_create(actor=staff, secretary=cadre, year=2025, problem="党建薄弱")
    both(main(page(client, reverse("supervision:review_list") + "?year=2025")))
    url = reverse("supervision:review_detail", args=[villages["wang"].pk, 2025])
    assert CHENGGUAN in page(client, url)


def _team_talks(staff, villages):
    reason = InterviewReason.objects.filter(audience="team").first()
    return [
        talks.interview_record(
            actor=staff,
            kind=InterviewKind.TALK,
            subject_type="team",
            unit=villages[key],
            reasons=[reason],
            conducted_on=datetime.date(2026, 5, 10),
            record="谈话记录",
        )
        for key in ("chengguan", "hexi")
    ]


def test_the_interview_list_and_page_name_the_village_and_its_team_with_the_township(client, staff, villages):
    first, _ = _team_talks(staff, villages)
    html = main(page(client, reverse("supervision:interviews")))
    both(html)
    assert f"{CHENGGUAN}领导班子" in html and f"{HEXI}领导班子" in html
    html = main(page(client, reverse("supervision:interview_detail", args=[first.pk])))
    assert f"{CHENGGUAN}领导班子" in html and not bare(html)


def test_the_monthly_talk_summary_and_its_xlsx_name_the_village_with_its_township(client, staff, villages):
    _team_talks(staff, villages)
    url = reverse("supervision:monthly_summary") + "?year=2026&month=5"
    both(main(page(client, url)))
    ws = load_workbook(io.BytesIO(client.get(url + "&format=xlsx").content)).active
    cells = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    both(" ".join(cells))


# ---------------------------------------------------------------- assessment


@pytest.fixture
def period(users, villages):
    actor = users["city_staff"]
    made = period_create(actor=actor, name="2026年度考核", year=2026)
    return period_transition(actor=actor, period=made, to=PeriodStatus.COLLECTING)


def test_the_period_page_lists_the_villages_with_their_townships(client, staff, period):
    both(main(page(client, reverse("assessment:period_detail", args=[period.pk]))))


def test_the_grid_links_to_its_sub_units_by_their_labels(client, staff, villages, period):
    url = reverse("assessment:grid", args=[period.pk, villages["chengguan_town"].pk])
    html = main(page(client, url))
    assert CHENGGUAN in html and not bare(html)
    html = page(client, reverse("assessment:grid", args=[period.pk, villages["hexi"].pk]))
    assert f"评分表 · {HEXI}" in html and not bare(main(html))


def test_the_assessment_and_results_pages_name_the_village_with_its_township(client, staff, villages, period):
    a = villages["wang"].assessments.get(period=period)
    assert CHENGGUAN in page(client, reverse("assessment:assessment_detail", args=[a.pk]))
    html = page(client, reverse("assessment:results", args=[period.pk, villages["hexi"].pk]))
    assert f"{HEXI} · " in html and not bare(main(html))


def test_the_import_history_and_batch_name_the_village_with_its_township(client, users, villages, period):
    admin = users[Role.COUNTY_ADMIN]
    for key, cadre in (("chengguan", "wang"), ("hexi", "zhao")):
        batch = import_validate(
            actor=admin,
            period=period,
            unit=villages[key],
            data=make_sheet([(villages[cadre], scores(90))]),
            filename="评分表.xlsx",
        )
    client.force_login(admin)
    both(main(page(client, reverse("assessment:import_history"))))
    html = main(page(client, reverse("assessment:import_detail", args=[batch.pk])))
    assert HEXI in html and not bare(html)  # the batch's unit and its rows' units
    both(main(page(client, reverse("assessment:import_upload"))))


def test_the_sheet_templates_file_name_names_the_village_with_its_township(client, users, villages, period):
    client.force_login(users[Role.COUNTY_ADMIN])
    url = reverse("period-template", args=[period.pk]) + f"?unit={villages['chengguan'].pk}"
    response = client.get(
        url, HTTP_ACCEPT="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.status_code == 200
    assert f"-{CHENGGUAN}-评分表.xlsx" in unquote(response["Content-Disposition"])


def test_the_grade_report_and_its_xlsx_name_the_village_with_its_township(client, staff, villages, period):
    url = reverse("grade-report-list") + f"?period={period.pk}"
    data = client.get(url).json()
    labels = {r["unit_label"] for r in data["results"]}
    assert {CHENGGUAN, HEXI} <= labels
    assert {r["unit_name"] for r in data["results"]} >= {"光明村"}  # the public field is unchanged
    ws = load_workbook(io.BytesIO(client.get(url + "&format=xlsx").getvalue())).active
    both(" ".join(str(c.value) for row in ws.iter_rows(min_row=3) for c in row if c.value is not None))
    response = client.get(url + f"&unit={villages['hexi'].pk}&format=xlsx")
    assert HEXI in unquote(response["Content-Disposition"])


def test_the_policy_page_says_which_village_a_rule_is_inherited_from(client, staff, villages):
    group = unit_child(villages["chengguan"], "C01A020101", "一组", UnitKind.DEPARTMENT)
    policy_rule_save(
        actor=staff,
        unit=villages["chengguan"],
        kind="thresholds",
        params={"excellent_min": 92, "competent_min": 75, "basic_min": 60},
    )
    html = main(page(client, reverse("assessment:policy") + f"?unit={group.pk}"))
    assert f"继承自{CHENGGUAN}" in html
    html = main(page(client, reverse("assessment:policy") + f"?unit={villages['hexi'].pk}"))
    assert f"当前查看：<strong>{HEXI}</strong>" in html


# ---------------------------------------------------------------- the registry, home, audit


def test_the_profile_names_the_unit_posts_and_teams_with_the_township(client, staff, villages):
    wang = villages["wang"]
    history_save(
        actor=staff,
        cadre=wang,
        instance=PostRecord(
            cadre=wang,
            unit=villages["hexi"],
            title="村委委员",
            kind=PostKind.REGULAR,
            start_date=datetime.date(2015, 1, 1),
            end_date=datetime.date(2018, 1, 1),
        ),
    )
    team_member_add(actor=staff, unit=villages["chengguan"], cadre=wang, role_title="党支部书记")
    html = main(page(client, reverse("cadres:detail", args=[wang.pk])))
    assert f"{CHENGGUAN} · " in html  # the cadre's unit
    assert HEXI in html  # the earlier post
    assert re.search(rf">{CHENGGUAN}</a> 党支部书记", html)  # the team role
    # (the 全程纪实 card keeps each entry's title as it was recorded)
    assert not bare(html.split('id="timeline"')[0])
    html = main(page(client, reverse("cadres:unit_detail", args=[villages["chengguan"].pk])))
    assert f"{CHENGGUAN} <span" in html and not bare(html)


def test_the_home_page_names_the_users_village_and_the_proposals_units(client, users, villages):
    user = make_user("village_staff", Role.STAFF, villages["hexi"])
    client.force_login(user)
    assert f"{HEXI}及下级单位" in page(client, reverse("home"))

    reason = InterviewReason.objects.filter(audience="team").first()
    talks.yuetan_propose(
        actor=users[Role.STAFF], subject_type="team", unit=villages["chengguan"], reasons=[reason]
    )
    client.force_login(users[Role.HEAD])
    html = main(page(client, reverse("home"))).split("最近变更")[0]  # entries keep their recorded titles
    assert f"约谈提议：{CHENGGUAN}领导班子" in html and not bare(html)


def test_the_audit_trail_names_units_with_their_township(client, staff, villages):
    cadre = CadreFactory(unit=villages["chengguan"], name="钱干部")
    cadre_update(actor=staff, cadre=cadre, unit=villages["hexi"])
    unit_update(actor=staff, unit=villages["hexi"], name="光明村", code="C01A0301")
    client.force_login(staff)
    html = main(page(client, reverse("audit:list")))
    assert CHENGGUAN in html and HEXI in html
    assert not bare(html)
