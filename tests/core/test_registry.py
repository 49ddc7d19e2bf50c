"""core/registry.py: other apps fill the cadre profile and the 待办 panel without cadres/ or core/
importing them."""

import ast
import copy
import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from assessment.models import Assessment, PeriodStatus
from cadres.models import TeamMembership
from cadres.views import TIMELINE_LIMIT
from core import registry
from supervision.models import Sanction
from supervision.services import interviews as interview_svc
from supervision.services import records
from tests.factories import make_period

ROOT = Path(settings.BASE_DIR)
ABOVE = {"supervision", "assessment", "recall", "incentives", "workorders"}
# (seed_demo composes the demo city from the parts the apps register: no exception needed)
COMPOSES_APPS: dict[str, set[str]] = {}

TEMPLATES = copy.deepcopy(settings.TEMPLATES)
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], Path(__file__).parent / "templates"]


def imports_above(source: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {name.split(".")[0] for name in names} & ABOVE
    return found


def test_no_module_of_cadres_or_core_imports_an_app_above_them():
    offenders = {}
    for path in sorted([*(ROOT / "cadres").rglob("*.py"), *(ROOT / "core").rglob("*.py")]):
        name = str(path.relative_to(ROOT))
        above = imports_above(path.read_text(encoding="utf-8")) - COMPOSES_APPS.get(name, set())
        if above:
            offenders[name] = sorted(above)
    assert offenders == {}


def test_the_layering_check_sees_a_function_level_import():
    assert imports_above("def f():\n    from supervision.selectors.interviews import todo_for\n") == {
        "supervision"
    }
    assert imports_above("import recall.models as m\nfrom . import assessment\n") == {"recall"}


@pytest.fixture
def fake_templates():
    with override_settings(TEMPLATES=TEMPLATES), registry.restored():
        yield


def fake_section(key, *, order, place="main", perm=None, text=None):
    def context(user, cadre):
        if text is None:
            return None
        return {"fake_id": key, "fake_text": f"{text}：{cadre.name}", "viewer": user.username}

    return registry.profile_section(
        key,
        title=key,
        order=order,
        place=place,
        perm=perm,
        template="test_registry/_section.html",
        context=context,
    )


def profile(client, user, cadre) -> str:
    client.force_login(user)
    return client.get(reverse("cadres:detail", args=[cadre.pk])).content.decode()


def test_a_registered_section_shows_on_the_profile_with_the_viewer_and_goes_when_removed(
    client, users, cadre_a
):
    with override_settings(TEMPLATES=TEMPLATES):
        with registry.restored():
            fake_section("recall.status", order=150, text="召回状态")
            page = profile(client, users[Role.AUDITOR], cadre_a)
            assert "召回状态：张三，查看人：auditor_a" in page
        assert "召回状态" not in profile(client, users[Role.AUDITOR], cadre_a)


def test_sections_appear_in_their_order_among_the_apps_sections(client, users, cadre_a, fake_templates):
    fake_section("late", order=999, text="最后一节")
    fake_section("early", order=1, text="第一节")
    page = profile(client, users[Role.STAFF], cadre_a)
    # assessment's 考核结果 (100), supervision's 谈话监督 (200) and 处分记录 (300) sit in between
    positions = [
        page.index(s) for s in ("第一节", 'id="grades"', 'id="interviews"', 'id="sanctions"', "最后一节")
    ]
    assert positions == sorted(positions)
    assert [s.key for s, _ in registry.profile_sections(users[Role.STAFF], cadre_a)][:2] == [
        "early",
        "assessment.grades",
    ]


def test_a_section_whose_context_is_none_is_not_shown(client, users, cadre_a, fake_templates):
    fake_section("empty", order=1)
    fake_section("shown", order=2, text="有内容")
    page = profile(client, users[Role.STAFF], cadre_a)
    assert 'id="shown"' in page and 'id="empty"' not in page


def test_a_section_with_a_capability_shows_only_to_roles_that_have_it(client, users, cadre_a, fake_templates):
    fake_section("editors", order=1, perm="edit_registry", text="编辑提示")
    assert "编辑提示" in profile(client, users[Role.STAFF], cadre_a)
    assert "编辑提示" not in profile(client, users[Role.AUDITOR], cadre_a)


def test_a_head_section_is_shown_by_the_cadres_name_and_a_side_section_in_the_narrow_column(
    client, users, cadre_a, fake_templates
):
    fake_section("badge", order=1, place="head", text="头部标记")
    fake_section("aside", order=1, place="side", text="侧栏")
    page = profile(client, users[Role.STAFF], cadre_a)
    assert page.index("头部标记") < page.index("三龄两历一身份") < page.index("班子职务") < page.index("侧栏")


# ---------------------------------------------------------------- 待办


def home(client, user) -> str:
    client.force_login(user)
    return client.get(reverse("home")).content.decode()


def test_a_registered_todo_source_shows_on_the_home_page_for_the_user_it_names(client, users):
    def items(user, limit):
        if not user.can("edit_registry"):
            return []
        due = timezone.localdate() + datetime.timedelta(days=3)
        return [
            registry.TodoItem(kind="待召回", title=f"召回决定：{user.username}", url="/recall/1/", due=due)
        ] * (limit + 5)

    with registry.restored():
        registry.todo_source("recall.decisions", order=300, items=items, link=("召回管理", "home"))
        page = home(client, users[Role.STAFF])
        # cut to the panel's limit of 20 per source
        assert page.count("召回决定：staff_a") == 20 and 'data-testid="todo-count">20<' in page
        assert '<a href="/recall/1/">召回决定：staff_a</a>' in page and "召回管理" in page
        assert "召回决定" not in home(client, users[Role.AUDITOR])
    assert "召回决定" not in home(client, users[Role.STAFF])


def test_todo_sources_are_listed_in_their_order(users):
    def source(title):
        return lambda user, limit: [registry.TodoItem(kind="待办", title=title, url="/")]

    with registry.restored():
        registry.todo_source("b", order=2, items=source("二"))
        registry.todo_source("a", order=1, items=source("一"))
        registry.todo_source("c", order=1000, items=source("三"))
        items, _ = registry.todo_items(users[Role.HEAD], limit=5)
    assert [i.title for i in items] == ["一", "二", "三"]


# ---------------------------------------------------------------- the timeline


def test_the_profile_timeline_lists_talks_clues_sanctions_and_published_grades_newest_first(
    client, users, cadre_a
):
    staff = users[Role.STAFF]
    today = timezone.localdate()
    interview_svc.interview_record(
        actor=staff,
        kind="talk",
        subject_type="cadre",
        cadre=cadre_a,
        conducted_on=today - datetime.timedelta(days=10),
        record="谈心",
    )
    records.clue_create(
        actor=staff,
        cadre=cadre_a,
        source="petition",
        received_on=today - datetime.timedelta(days=5),
        summary="反映",
    )
    Sanction.objects.create(
        cadre=cadre_a,
        kind="warning",
        decided_on=today - datetime.timedelta(days=20),
        reason="迟到",
        created_by=staff,
    )
    published = make_period(year=2024, status=PeriodStatus.PUBLISHED)
    published.published_at = timezone.now() - datetime.timedelta(days=1)
    published.save(update_fields=["published_at"])
    Assessment.objects.create(period=published, cadre=cadre_a, unit=cadre_a.unit, final_grade="优秀")
    grading = make_period(year=2025, status=PeriodStatus.GRADING)
    Assessment.objects.create(period=grading, cadre=cadre_a, unit=cadre_a.unit, final_grade="称职")

    client.force_login(users[Role.AUDITOR])
    events = client.get(reverse("cadres:detail", args=[cadre_a.pk])).context["events"]

    assert [(e.kind, e.title, e.detail) for e in events if e.kind != "纪实"] == [
        ("考核等次", "2024年度", "优秀"),
        ("问题线索", "信访", "待核实"),
        ("谈心谈话", "本人", ""),
        ("处分", "警告", ""),
    ]
    assert [e.on for e in events] == sorted((e.on for e in events), reverse=True)


def test_the_timeline_shows_a_team_talk_only_to_users_whose_scope_holds_the_team(
    client, users, tree, cadre_a
):
    # 张三 of 甲县 also sits on 乙镇's team; a talk with that team belongs to 乙县.
    TeamMembership.objects.create(unit=tree["town_b"], cadre=cadre_a, role_title="挂职副书记")
    interview_svc.interview_record(
        actor=users["city_staff"],
        kind="talk",
        subject_type="team",
        unit=tree["town_b"],
        conducted_on=timezone.localdate(),
        record="班子谈话",
    )
    client.force_login(users["city_staff"])
    events = client.get(reverse("cadres:detail", args=[cadre_a.pk])).context["events"]
    assert [e.title for e in events] == [f"{tree['town_b'].name}领导班子"]
    client.force_login(users[Role.STAFF])
    assert client.get(reverse("cadres:detail", args=[cadre_a.pk])).context["events"] == []


def test_a_registered_timeline_source_adds_its_entries_in_date_order(client, users, cadre_a):
    day = datetime.date(2024, 6, 1)

    def entries(user, cadre, limit):
        return [
            registry.TimelineEntry(on=day, kind="召回", title=f"召回：{cadre.name}"),
            registry.TimelineEntry(on=day.replace(year=2023), kind="召回", title="更早的召回"),
        ]

    with registry.restored():
        registry.timeline_source("recall", label="召回", entries=entries)
        page = profile(client, users[Role.STAFF], cadre_a)
    assert "召回：张三" in page and page.index("召回：张三") < page.index("更早的召回")


@pytest.mark.parametrize("count", [1, 12])
def test_the_profile_costs_the_same_queries_for_1_or_12_records_of_each_kind(
    client, users, cadre_a, count, django_assert_num_queries
):
    staff = users[Role.STAFF]
    today = timezone.localdate()
    for n in range(count):
        interview_svc.interview_record(
            actor=staff,
            kind="talk",
            subject_type="cadre",
            cadre=cadre_a,
            conducted_on=today - datetime.timedelta(days=n),
            record="谈心",
        )
        records.clue_create(actor=staff, cadre=cadre_a, source="petition", received_on=today, summary="反映")
        Sanction.objects.create(
            cadre=cadre_a, kind="warning", decided_on=today, reason="迟到", created_by=staff
        )
    client.force_login(staff)
    # session, user, user's unit (scope), the cadre, posts, educations, team roles; the audit
    # trail and the cadres, users and units its changes name (one IN query each); sections:
    # 暂缓使用 (EXISTS), grades, talks + their reasons, clues, spot checks, 述职评议 items (no
    # items here, so no query for their checks), sanctions; the timeline: talks, clues,
    # sanctions, published grades; the audit entry recording that staff were shown the full ID
    # number; recall: its section (cases, flags, adjustments, points) and its timeline (case
    # steps, flags, adjustments); 容错纠错: its section and its timeline (the decisions; none here,
    # so no query for their matters); 基层服务年限 (the townships above the cadre's unit, the
    # GRASSROOTS rules), 关爱记录 (records, departure, this year's counts) and care records on the
    # timeline; 三挂钩: the latest period's entries, the decisions, and the decisions on the timeline;
    # 请假记录 (the leaves), 立案审查 (its section and its timeline), 复核申诉 (its section and its
    # timeline), 民情工单 (its section, its timeline); the 任免审批表 facts (籍贯, 出生地, family,
    # photo: interop); the timeline's posts (任职) and the trail's entries about the cadre (纪实)
    with django_assert_num_queries(52):
        response = client.get(reverse("cadres:detail", args=[cadre_a.pk]))
    # talks, clues, sanctions and the trail's entries of the talks and clues; 30: the newest only
    assert len(response.context["events"]) == min(5 * count, TIMELINE_LIMIT)


def test_the_demo_city_is_built_from_the_parts_the_apps_register():
    assert [step.key for step in registry.demo_steps()][:2] == ["supervision", "assessment"]
    calls = []
    with registry.restored():
        registry.demo_step("fake", order=999, seed=lambda *, seed: calls.append(seed) or {"fake": 1})
        assert registry.demo_steps()[-1].key == "fake"
    assert "fake" not in [step.key for step in registry.demo_steps()]


def test_seed_demo_refuses_an_unknown_part_before_building_anything(db):
    from django.core.management import CommandError, call_command

    from cadres.models import Cadre

    with pytest.raises(CommandError, match="未知的演示数据部分：nope"):
        call_command("seed_demo", skip=["nope"])
    assert not Cadre.objects.exists()
