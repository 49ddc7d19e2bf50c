"""The 三挂钩 lists pages: a list per kind with each entry's reasons and decision, filters,
paging, a decision recorded from the list or the entry's page (refused for read-only roles and
outside the subtree), withdrawal, the xlsx and the computation button."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.roles import Role
from audit.models import AuditEntry
from core.models import Job
from incentives.models import Decision
from incentives.services_decisions import decision_record
from tests.factories import CadreFactory, IncentiveEntryFactory, make_period, unit_child

LISTS = reverse("incentives:lists")


@pytest.fixture
def period(db):
    return make_period(year=2025, status="published")


@pytest.fixture
def entries(period, tree):
    """In 甲镇: 张一 and 张二 eligible for 评先选优, 张三 left out; in 乙镇 (another county): 李一."""
    made = {}
    for name, eligible, position in (("张一", True, 1), ("张二", True, 2), ("张三", False, None)):
        cadre = CadreFactory(unit=tree["town_a"], name=name)
        made[name] = IncentiveEntryFactory(period=period, cadre=cadre, eligible=eligible, position=position)
    made["李一"] = IncentiveEntryFactory(period=period, cadre=CadreFactory(unit=tree["town_b"], name="李一"))
    return made


def entry_url(entry, action=""):
    name = f"incentives:entry_{action}" if action else "incentives:entry_detail"
    return reverse(name, args=[entry.period_id, entry.kind, entry.cadre_id])


def page(client, user, url=LISTS, **params):
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


# ---------------------------------------------------------------- the list


def test_the_list_shows_the_eligible_in_order_with_their_reasons_and_no_one_outside(client, users, entries):
    html = page(client, users["staff"], kind="commendation")
    assert html.index("张一") < html.index("张二")
    assert "张三" not in html and "李一" not in html
    assert "符合：年度考核为优秀" in html and "年度考核：优秀" in html
    assert 'data-testid="tab-bonus"' in html and "记三等功" in html


def test_the_left_out_are_one_toggle_away_with_why(client, users, entries):
    html = page(client, users["staff"], kind="commendation", eligible="no")
    assert "张三" in html and "张一" not in html and "不符合：年度考核为基本称职" in html
    html = page(client, users["staff"], kind="commendation", eligible="all")
    assert "张一" in html and "张三" in html


def test_the_summary_counts_the_list(client, users, entries):
    decision_record(
        actor=users["staff"],
        period=entries["张一"].period,
        cadre=entries["张一"].cadre,
        kind="commendation",
        verdict="granted",
        reason="同意",
    )
    html = page(client, users["staff"], kind="commendation")
    summary = html.split('data-testid="list-summary"')[1].split("</div>")[0]
    assert "符合条件 <strong>2</strong>" in summary and "未列入 <strong>1</strong>" in summary
    assert "已同意 <strong>1</strong>" in summary


def test_the_unit_filter_covers_the_subtree(client, users, entries, tree):
    village = CadreFactory(unit=unit_child(tree["town_a"], "C01A0101", "甲村", "village"), name="村里人")
    IncentiveEntryFactory(period=entries["张一"].period, cadre=village)
    html = page(client, users["city_staff"], kind="commendation", unit=tree["town_a"].pk)
    assert "村里人" in html and "张一" in html and "李一" not in html


def test_the_decided_filter(client, users, entries):
    e = entries["张一"]
    decision_record(
        actor=users["staff"],
        period=e.period,
        cadre=e.cadre,
        kind=e.kind,
        verdict="declined",
        reason="名额有限",
    )
    assert "张一" not in page(client, users["staff"], kind="commendation", decided="no")
    html = page(client, users["staff"], kind="commendation", decided="declined")
    assert "张一" in html and "张二" not in html and "名额有限" in html


def test_a_read_only_role_sees_the_decisions_but_no_form(client, users, entries):
    html = page(client, users["auditor"], kind="commendation")
    assert "张一" in html and "登记决定" not in html and "重新计算名单" not in html
    html = page(client, users["staff"], kind="commendation")
    assert "登记决定" in html and "重新计算名单" in html


def test_the_list_pages_fifty_entries_at_a_time(client, users, period, tree):
    for n in range(51):
        IncentiveEntryFactory(
            period=period, cadre=CadreFactory(unit=tree["town_a"], name=f"人{n:02d}"), position=n + 1
        )
    client.force_login(users["staff"])
    first = client.get(LISTS, {"kind": "commendation"})
    assert len(first.context["page"].object_list) == 50
    second = client.get(LISTS, {"kind": "commendation", "page": 2}).content.decode()
    assert "人50" in second and "人49" not in second


def test_no_published_period_says_so(client, users, db):
    make_period(year=2025, status="grading")
    assert "尚无已公布的年度考核期" in page(client, users["staff"])


@pytest.mark.parametrize("count", [1, 30])
def test_the_list_reads_a_fixed_number_of_queries(
    client, users, period, tree, count, django_assert_num_queries
):
    for n in range(count):
        e = IncentiveEntryFactory(period=period, cadre=CadreFactory(unit=tree["town_a"], name=f"人{n}"))
        decision_record(
            actor=users["staff"], period=period, cadre=e.cadre, kind=e.kind, verdict="granted", reason="同意"
        )
    client.force_login(users["staff"])
    # session, user, the user's unit (scope); the published periods (picker and default, once),
    # the two count queries of the tabs, COUNT for the paginator, the page of entries (cadre,
    # unit label), their decisions (with who decided), the latest lists job; units for the
    # unit select
    with django_assert_num_queries(11):
        response = client.get(LISTS, {"kind": "commendation"})
    assert response.context["page"].paginator.count == count


# ---------------------------------------------------------------- deciding


def test_staff_decide_from_the_list_and_return_to_it(client, users, entries):
    e = entries["张一"]
    client.force_login(users["staff"])
    back = f"{LISTS}?kind=commendation&page=1"
    response = client.post(entry_url(e, "decide"), {"verdict": "granted", "reason": "表现突出", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    decision = Decision.objects.get()
    assert (decision.cadre, decision.verdict, decision.decided_by) == (e.cadre, "granted", users["staff"])
    assert "表现突出" in page(client, users["staff"], kind="commendation")


def test_granting_a_left_out_entry_without_a_reason_shows_why_and_writes_nothing(client, users, entries):
    client.force_login(users["staff"])
    response = client.post(entry_url(entries["张三"], "decide"), {"verdict": "granted", "reason": ""})
    assert response.status_code == 200
    assert "不符合“评先选优”的条件" in response.content.decode()
    assert not Decision.objects.exists()


def test_a_decision_without_a_verdict_is_refused(client, users, entries):
    client.force_login(users["staff"])
    response = client.post(entry_url(entries["张一"], "decide"), {"reason": "x"})
    assert "请选择同意或不同意" in response.content.decode() and not Decision.objects.exists()


def test_a_next_elsewhere_is_not_followed(client, users, entries):
    client.force_login(users["staff"])
    response = client.post(
        entry_url(entries["张一"], "decide"),
        {"verdict": "granted", "reason": "好", "next": "https://evil.example/"},
    )
    assert response["Location"].startswith(LISTS)


@pytest.mark.parametrize("role", [Role.COUNTY_ADMIN, Role.API_READER, Role.AUDITOR])
def test_a_read_only_role_may_not_post_a_decision(client, users, entries, role):
    client.force_login(users[role])
    response = client.post(entry_url(entries["张一"], "decide"), {"verdict": "granted", "reason": "好"})
    assert response.status_code == 403 and not Decision.objects.exists()


def test_an_entry_outside_the_subtree_is_not_found(client, users, entries):
    client.force_login(users["staff"])
    assert client.get(entry_url(entries["李一"])).status_code == 404
    response = client.post(entry_url(entries["李一"], "decide"), {"verdict": "granted", "reason": "好"})
    assert response.status_code == 404 and not Decision.objects.exists()
    client.force_login(users["city_staff"])  # one level up sees it
    assert client.get(entry_url(entries["李一"])).status_code == 200


def test_the_entry_page_shows_the_reasons_the_decision_and_its_history(client, users, entries):
    e = entries["张三"]
    decision_record(
        actor=users["staff"],
        period=e.period,
        cadre=e.cadre,
        kind=e.kind,
        verdict="granted",
        reason="破格推荐",
    )
    decision_record(
        actor=users["head"],
        period=e.period,
        cadre=e.cadre,
        kind=e.kind,
        verdict="declined",
        reason="复议不同意",
    )
    html = page(client, users["staff"], entry_url(e))
    assert "不符合：年度考核为基本称职" in html and "复议不同意" in html
    history = html.split("办理记录")[1]
    assert history.index("破格推荐") < history.index("复议不同意")
    # a role that may not read the audit trail sees the decision, not the trail
    html = page(client, users["county_admin"], entry_url(e))
    assert "复议不同意" in html and "办理记录" not in html and "登记决定" not in html


def test_the_entry_page_says_when_the_list_changed_since_the_decision(client, users, entries):
    e = entries["张一"]
    decision_record(
        actor=users["staff"], period=e.period, cadre=e.cadre, kind=e.kind, verdict="granted", reason="同意"
    )
    e.eligible = False
    e.save()
    assert "是否符合条件与决定时不同" in page(client, users["staff"], entry_url(e))


def test_withdrawing_a_decision_from_the_entry_page(client, users, entries):
    e = entries["张一"]
    decision_record(
        actor=users["staff"], period=e.period, cadre=e.cadre, kind=e.kind, verdict="granted", reason="同意"
    )
    client.force_login(users["staff"])
    response = client.post(entry_url(e, "withdraw"), {"reason": ""})
    assert "请填写撤回决定的理由" in response.content.decode() and Decision.objects.exists()
    response = client.post(entry_url(e, "withdraw"), {"reason": "误录"})
    assert response.status_code == 302 and not Decision.objects.exists()
    client.force_login(users["auditor"])
    assert client.post(entry_url(e, "withdraw"), {"reason": "x"}).status_code == 403


def test_an_unknown_list_is_not_found(client, users, entries):
    client.force_login(users["staff"])
    url = reverse(
        "incentives:entry_detail", args=[entries["张一"].period_id, "medal", entries["张一"].cadre_id]
    )
    assert client.get(url).status_code == 404


# ---------------------------------------------------------------- xlsx and computation


def test_the_xlsx_holds_the_whole_filtered_list_with_decisions(client, users, entries):
    e = entries["张二"]
    decision_record(
        actor=users["staff"], period=e.period, cadre=e.cadre, kind=e.kind, verdict="declined", reason="=1+1"
    )
    client.force_login(users["staff"])
    response = client.get(reverse("incentives:lists_export"), {"kind": "commendation", "eligible": "all"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "2025年度“评先选优”名单"
    names = [r[2] for r in rows[2:]]
    assert names == ["张一", "张二", "张三"]
    zhang2 = rows[3]
    assert zhang2[13] == "不同意" and zhang2[14] == "=1+1"  # text, not a formula
    assert "*" in zhang2[3]  # masked ID number
    assert rows[4][5] == "否"


def test_a_bonus_list_shows_the_amounts(client, users, period, cadre_a):
    IncentiveEntryFactory(
        period=period, cadre=cadre_a, kind="bonus", coefficient=Decimal("1.20"), base=Decimal("30000.00"),
        withheld=Decimal("500.00"), amount=Decimal("35500.00"),
    )  # fmt: skip
    html = page(client, users["staff"], kind="bonus")
    assert "35500.00" in html and "扣发 500.00" in html
    assert "= 30000.00 × 1.20 − 500.00" in page(
        client, users["staff"], reverse("incentives:entry_detail", args=[period.pk, "bonus", cadre_a.pk])
    )


def test_the_compute_button_queues_the_lists_job_over_the_users_subtree(client, users, period, broker_down):
    client.force_login(users["staff"])
    response = client.post(reverse("incentives:lists_compute"), {"period": period.pk})
    assert response.status_code == 302
    job = Job.objects.get(kind="incentives.lists")
    assert job.params["period"] == period.pk and job.params["unit_path"] == users["staff"].unit.path
    assert job.created_by == users["staff"]
    html = page(client, users["staff"])
    assert 'id="job-progress"' in html


def test_the_compute_button_is_refused_to_a_read_only_role(client, users, period):
    client.force_login(users["auditor"])
    assert client.post(reverse("incentives:lists_compute"), {"period": period.pk}).status_code == 403
    assert not Job.objects.filter(kind="incentives.lists").exists()


def test_computing_an_unpublished_period_is_refused(client, users, db):
    period = make_period(year=2025, status="grading")
    client.force_login(users["staff"])
    response = client.post(reverse("incentives:lists_compute"), {"period": period.pk}, follow=True)
    assert "请选择已公布的年度考核期" in response.content.decode()
    assert not Job.objects.filter(kind="incentives.lists").exists()


def test_deciding_is_audited_from_the_page(client, users, entries):
    client.force_login(users["staff"])
    client.post(entry_url(entries["张一"], "decide"), {"verdict": "granted", "reason": "表现突出"})
    assert AuditEntry.objects.filter(model="incentives.decision", cadre_id=entries["张一"].cadre_id).exists()
