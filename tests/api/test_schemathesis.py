"""Schemathesis against /api/schema/: every operation, as staff and as a county admin,
bounded in examples; no 5xx, and every response fits the schema (status, body)."""

import json

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis import checks as st_checks

from accounts.roles import Role

CHECKS = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.response_schema_conformance,
]


def _load():
    """The schema /api/schema/ serves (drf-spectacular's generator, as its view runs it),
    driven in-process through the WSGI app so requests share the test's database."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    raw = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
    loaded = schemathesis.openapi.from_dict(raw)
    loaded.app = get_wsgi_application()
    return loaded


schema = _load()


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI app closes "old" connections when a request ends, which would close the test's
    own (its transaction is open); Django's test client unhooks that as well."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_data(users, tree, cadre_a):
    """Something behind each list: a cadre, a team talk (no cadre), a talk with a cadre, a
    period with an assessment, a job, a recall case, a points record, a flag and an adjustment
    decision."""
    import datetime

    from assessment.models import Assessment
    from core.models import Job
    from supervision.services.interviews import interview_record
    from tests.factories import make_period

    staff = users[Role.STAFF]
    day = datetime.date(2025, 3, 1)
    for subject, cadre, unit in (("team", None, tree["town_a"]), ("cadre", cadre_a, None)):
        interview_record(
            actor=staff, kind="talk", subject_type=subject, cadre=cadre, unit=unit, conducted_on=day,
            record="谈话记录",
        )  # fmt: skip
    period = make_period()
    Assessment.objects.create(
        period=period, cadre=cadre_a, unit=tree["town_a"], scores={"德": 90}, track="rural"
    )
    from recall.models import TrackStanding

    # a standing whose total was cleared since (track-rankings/ shows it with no total)
    TrackStanding.objects.create(period=period, track="rural", cadre=cadre_a, position=1, of_total=1)
    Job.objects.create(kind="worker_check", created_by=staff, scope_path=tree["county_a"].path)
    from django.utils import timezone

    from recall import services as recall_services
    from recall.models import Flag, Situation
    from recall.services_flags import adjustment_propose
    from tests.factories import CadreFactory

    situation = Situation.objects.get(code="C01")
    recall_services.case_propose(
        actor=staff, cadre=cadre_a, source="situation", situation=situation, reason="业务不熟", on=day
    )
    recall_services.points_record(
        actor=staff, cadre=cadre_a, situation=situation, detail="x", occurred_on=day
    )
    other = CadreFactory(unit=tree["town_a"], name="王五")
    Flag.objects.create(
        cadre=other,
        unit=other.unit,
        rule_key="grade",
        rule_name="最近一个年度考核为不称职或更差",
        anchor="2025",
        facts=[{"label": "2025年度考核", "value": "不称职"}],
        raised_at=timezone.now(),
    )
    adjustment_propose(actor=staff, cadre=other, method="removal", reason="不胜任")
    # incentives/: a list entry with its decision; bonus-bases/ and team-pools/: a base, a pool with a share
    from incentives.models import BonusBase, Decision, PoolShare, TeamPool
    from tests.factories import IncentiveEntryFactory

    IncentiveEntryFactory(period=period, cadre=cadre_a)
    Decision.objects.create(
        period=period, cadre=cadre_a, unit=cadre_a.unit, kind="commendation", verdict="granted", reason="同意",
        decided_by=staff, decided_on=day,
    )  # fmt: skip
    BonusBase.objects.create(period=period, unit=tree["town_a"], amount=1000, set_by=staff)
    pool = TeamPool.objects.create(
        period=period, unit=tree["town_a"], kind="project", name="项目组", tier="良好", base=1000, total=1000,
        created_by=staff,
    )  # fmt: skip
    PoolShare.objects.create(pool=pool, cadre=cadre_a, weight=1, amount=1000)
    # care-records/ and care-due/: a record, a hardship post, a departed village cadre owed a subsidy
    from incentives import services_care as care_services

    care_services.care_record_create(
        actor=staff,
        cadre=cadre_a,
        kind="visit",
        occasion="spring_festival",
        date=day,
        content="慰问",
        amount=500,
    )
    care_services.hardship_post_designate(actor=staff, unit=tree["town_a"], since=day)
    villager = CadreFactory(
        unit=tree["town_a"],
        name="离任村干部",
        kind="village",
        rank="none",
        identity="village",
        post_title="村主任",
    )
    care_services.departure_register(
        actor=staff, cadre=villager, left_on=day, years_served=9, monthly_subsidy=300, role_after="村民小组长"
    )
    # leave-records/ and investigations/: a leave still running and an open investigation
    from cadres.services_leaves import leave_create
    from supervision.services.investigations import investigation_open

    leave_create(actor=staff, cadre=cadre_a, kind="sick", start_date=day, end_date=None)
    investigation_open(actor=staff, cadre=cadre_a, opened_on=day, authority="县纪委监委", reason="违纪")
    # work-orders/, party-groups/, work-order-statistics/: a party group and an order in each state
    # the list shows (recorded, dispatched, rated 不满意 and followed up)
    from workorders import services as wo

    group = wo.party_group_save(actor=staff, unit=tree["town_a"], name="第一党小组", leader="张组长")
    orders = [
        wo.order_record(
            actor=staff,
            unit=tree["town_a"],
            channel=channel,
            title="路灯不亮",
            resident_name="居民甲",
            resident_contact="13800001234",
            relayed_by="邻居" if channel == "proxy" else "",
            recorded_on=day,
            party_group=group,
        )  # fmt: skip
        for channel in ("wall", "proxy", "phone")
    ]
    for order in orders[1:]:
        wo.order_dispatch(actor=staff, order=order, cadre=cadre_a, dispatched_on=day, party_group=group)
    wo.order_accept(
        actor=staff, order=orders[2], accepted_on=day, promised_on=day + datetime.timedelta(days=5)
    )
    wo.order_handle(actor=staff, order=orders[2], handled_on=day, handling="已修复")
    wo.order_rate(actor=staff, order=orders[2], rating="unsatisfied", rated_on=day, score=40, note="不及时")
    wo.order_followup(actor=staff, order=orders[2], followup_on=day, reason="未及时修复", cause="cadre")


def _token(users, role) -> str:
    return Token.objects.get_or_create(user=users[role])[0].key


@schema.parametrize()
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_api_answers_staff_within_its_schema(case, users, api_data):
    case.call_and_validate(headers={"Authorization": f"Token {_token(users, Role.STAFF)}"}, checks=CHECKS)


@schema.parametrize()
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_api_answers_a_county_admin_within_its_schema(case, users, api_data):
    case.call_and_validate(
        headers={"Authorization": f"Token {_token(users, Role.COUNTY_ADMIN)}"}, checks=CHECKS
    )
