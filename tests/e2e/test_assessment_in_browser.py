"""Staff enters scores in the grid with the keyboard and sees grades after saving; a bad cell is
explained on that cell and nothing is saved; the results page shows the distribution and the
explanations, and a recompute started from the period page runs to completion."""

import re

import pytest

from accounts.roles import Role
from assessment.models import Assessment, PeriodStatus
from assessment.services.periods import period_create, period_transition
from assessment.services.scores import scores_save
from core.models import Job, JobState
from tests.e2e.conftest import login
from tests.factories import CadreFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CODES = ["德", "能", "勤", "绩", "廉", "民主测评"]


@pytest.fixture
def people(tree, cadre_a):
    """张三 and two more cadres of 甲镇, all assessed."""
    return [
        cadre_a,
        CadreFactory(unit=tree["town_a"], name="王五"),
        CadreFactory(unit=tree["town_a"], name="赵六"),
    ]


@pytest.fixture
def period(users, people):
    """2025 annual period in 采集评分, made through the services as the city staff would."""
    actor = users["city_staff"]
    period = period_create(actor=actor, name="2025年度干部考核", year=2025)
    return period_transition(actor=actor, period=period, to=PeriodStatus.COLLECTING)


def grid_path(period, unit):
    return f"/assessment/periods/{period.pk}/units/{unit.pk}/grid/"


def row_ids(page):
    return [
        int(v)
        for v in page.locator("#score-grid tbody tr[data-cadre]").evaluate_all(
            "rows => rows.map(r => r.dataset.cadre)"
        )
    ]


def focused_name(page):
    return page.evaluate("document.activeElement && document.activeElement.name")


def test_staff_types_scores_with_the_keyboard_and_sees_grades_after_saving(
    page, live_server, users, tree, period, people
):
    login(page, live_server, "staff_a")
    page.goto(live_server.url + grid_path(period, tree["town_a"]))
    assert "评分表 · 甲镇" in page.locator("h1").inner_text()
    ids = row_ids(page)
    assert sorted(ids) == sorted(p.pk for p in people)
    first, second, third = ids

    # type in 德 of the first row, Enter moves down the same column, ArrowUp moves back
    page.locator(f"input[name=s-{first}-0]").click()
    page.keyboard.type("90")
    page.keyboard.press("Enter")
    assert focused_name(page) == f"s-{second}-0"
    page.keyboard.type("85")
    page.keyboard.press("Enter")
    assert focused_name(page) == f"s-{third}-0"
    page.keyboard.type("80")
    page.keyboard.press("ArrowUp")
    assert focused_name(page) == f"s-{second}-0"
    page.keyboard.press("ArrowUp")
    assert focused_name(page) == f"s-{first}-0"
    page.keyboard.press("Enter")  # Enter on a cell never submits the form
    assert focused_name(page) == f"s-{second}-0"
    assert Assessment.objects.filter(period=period).exclude(scores={}).count() == 0

    # an out-of-range value is marked at once, and the mark goes when it is corrected
    cell = page.locator(f"input[name=s-{second}-1]")
    cell.click()
    page.keyboard.type("150")
    assert "is-invalid" in cell.get_attribute("class")
    feedback = page.locator(f"td:has(input[name=s-{second}-1]) .client-feedback")
    assert feedback.inner_text() == "应在 0–100 之间"
    page.keyboard.press("Control+A")
    page.keyboard.type("88")
    assert "is-invalid" not in cell.get_attribute("class")
    assert feedback.count() == 0

    # fill the remaining cells with Tab, as a typist would
    for cadre_id, base in ((first, 90), (second, 85), (third, 80)):
        page.locator(f"input[name=s-{cadre_id}-1]").click()
        for index in range(1, len(CODES)):
            page.keyboard.press("Control+A")
            page.keyboard.type(str(base + index))
            page.keyboard.press("Tab")
    page.get_by_role("button", name="保存评分").click()
    page.wait_for_load_state("networkidle")

    alert = page.locator(".alert-success, .alert.alert-success").first.inner_text()
    assert "评分已保存：新增 0 人，修改 3 人，未变化 0 人" in alert, alert
    saved = {a.cadre_id: a for a in Assessment.objects.filter(period=period)}
    assert saved[first].scores == {"德": 90, "能": 91, "勤": 92, "绩": 93, "廉": 94, "民主测评": 95}
    assert saved[second].scores["德"] == 85 and saved[third].scores["德"] == 80
    # the recompute queued on commit ran (Celery is eager): totals, ranks and grades are shown
    for cadre_id in ids:
        cells = page.locator(f"tr[data-cadre='{cadre_id}'] td").all_inner_texts()
        total, rank, grade = (c.strip() for c in cells[-3:])
        assert re.fullmatch(r"\d+(\.\d+)?", total), cells
        assert rank in {"1", "2", "3"}, cells
        assert grade and grade != "—", cells
    assert all(a.final_grade for a in saved.values())

    # a laptop screen: the page itself does not scroll sideways, the inputs are wide enough to read
    page.set_viewport_size({"width": 1366, "height": 768})
    page.screenshot(path="/tmp/grid.png", full_page=False)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, overflow
    width = page.locator(f"input[name=s-{first}-5]").bounding_box()["width"]
    assert width >= 48, width
    for header in ("总分", "排名", "最终等次"):  # short headers stay on one line
        lines = page.locator("#score-grid thead th", has_text=header).evaluate(
            "th => { const r = document.createRange(); r.selectNodeContents(th);"
            " return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size; }"
        )
        assert lines == 1, (header, lines)
    assert page.foreign_requests == []


def test_a_bad_cell_is_explained_on_that_cell_and_nothing_is_saved(page, live_server, users, tree, period):
    login(page, live_server, "staff_a")
    page.goto(live_server.url + grid_path(period, tree["town_a"]))
    first, second, _ = row_ids(page)
    page.fill(f"input[name=s-{first}-0]", "90")
    page.fill(f"input[name=s-{first}-1]", "abc")
    page.fill(f"input[name=s-{second}-3]", "150")
    # the client only hints; the server decides
    assert page.locator(".client-feedback").all_inner_texts() == ["不是数字", "应在 0–100 之间"]
    page.get_by_role("button", name="保存评分").click()
    page.wait_for_load_state("networkidle")

    assert "评分未保存：有 2 名干部的评分需要修改" in page.locator(".alert-danger").first.inner_text()
    bad = page.locator(f"td.cell-error:has(input[name=s-{first}-1])")
    assert bad.locator("input").get_attribute("aria-invalid") == "true"
    assert bad.locator("input").input_value() == "abc"  # what was typed is kept
    assert bad.locator(".invalid-feedback").inner_text() == "指标“能”的得分“abc”不是数字。"
    far = page.locator(f"td.cell-error:has(input[name=s-{second}-3])")
    assert far.locator(".invalid-feedback").inner_text() == "指标“绩”的得分 150 超出范围（0–100）。"
    assert page.locator("td.cell-error").count() == 2
    assert page.locator(f"input[name=s-{first}-0]").input_value() == "90"  # good cells keep their value
    assert "table-danger" in page.locator(f"tr[data-cadre='{first}']").get_attribute("class")
    assert not Assessment.objects.filter(period=period).exclude(scores={}).exists()

    # correcting the cell clears its server message too, then the save goes through
    page.fill(f"input[name=s-{first}-1]", "91")
    fixed = page.locator(f"td:has(input[name=s-{first}-1])")
    assert fixed.locator(".invalid-feedback").count() == 0
    assert fixed.locator("input").get_attribute("aria-invalid") is None
    assert page.locator("td.cell-error").count() == 1  # the other bad cell is still marked
    page.fill(f"input[name=s-{second}-3]", "99")
    page.get_by_role("button", name="保存评分").click()
    page.wait_for_load_state("networkidle")
    assert "修改 2 人" in page.locator(".alert-success").first.inner_text()
    assert Assessment.objects.get(period=period, cadre_id=first).scores == {"德": 90, "能": 91}


def test_results_show_the_distribution_and_a_recompute_runs_to_completion(
    page, live_server, users, tree, period, people
):
    scores_save(
        actor=users[Role.STAFF],
        period=period,
        entries=[
            {"cadre": p, "scores": dict.fromkeys(CODES, score)}
            for p, score in zip(people, (96, 88, 70), strict=True)
        ],
    )  # commits, so the recompute queued on commit runs at once (eager Celery)
    assert Assessment.objects.filter(period=period).exclude(final_grade="").count() == 3

    login(page, live_server, "staff_a")
    page.goto(live_server.url + f"/assessment/periods/{period.pk}/units/{tree['town_a'].pk}/results/")
    assert "共 3 人" in page.locator(".card-header", has_text="等次分布").inner_text()
    bars = page.locator("ul.r-dist > li").all_inner_texts()
    assert bars, "no distribution bars"
    counts = [int(re.search(r"(\d+) 人", b).group(1)) for b in bars]
    assert sum(counts) == 3, bars
    assert page.locator("ul.r-rules li").count() >= 1

    details = page.locator("details.r-explain").first
    steps = details.locator("ol")
    assert not steps.is_visible()
    details.locator("summary").click()
    assert details.evaluate("d => d.open") is True
    assert steps.is_visible()
    assert steps.locator("li").count() >= 1 and steps.inner_text().strip()

    # the period page: 重新计算 queues a job whose progress bar ends complete
    before = set(Job.objects.values_list("pk", flat=True))
    page.goto(live_server.url + f"/assessment/periods/{period.pk}/")
    page.locator("#recompute").get_by_role("button", name="重新计算").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("#recompute")
    assert "已提交重新计算" in page.locator(".alert-success").first.inner_text()
    job = Job.objects.exclude(pk__in=before).get()
    progress = page.locator("#job-progress")
    assert progress.get_attribute("data-url") == f"/api/v1/jobs/{job.pk}/"

    def poll():
        return page.evaluate(
            "url => fetch(url, {credentials: 'same-origin', headers: {Accept: 'application/json'}})"
            ".then(r => r.json())",
            f"/api/v1/jobs/{job.pk}/",
        )

    for _ in range(50):
        data = poll()
        if data["state"] in ("done", "failed"):
            break
        page.wait_for_timeout(200)
    assert data["state"] == "done", data
    assert data["done"] == data["total"]
    page.reload()
    bar = page.locator("#job-progress [data-role=bar]")
    # full: as wide as its track (the width comes from a class or the polling script's style)
    page.wait_for_function(
        "() => { const bar = document.querySelector('#job-progress [data-role=bar]');"
        " return Math.abs(bar.getBoundingClientRect().width - bar.parentElement.clientWidth) < 1; }"
    )
    assert "bg-success" in bar.get_attribute("class")
    assert page.locator("#job-progress [data-role=state]").inner_text() == "已完成"
    assert Job.objects.get(pk=job.pk).state == JobState.DONE
