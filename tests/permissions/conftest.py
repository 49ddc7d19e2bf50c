"""The world of tests/scope/ (one of everything in every unit of two counties), with the few
objects the permission matrix also needs: an education entry per cadre (its edit and delete
pages), an uploaded file on each import batch (its download and annotated pages), and per unit
a recall case, a "不适宜担任现职" flag, an adjustment decision and a 负面清单 entry (recall/), and a
容错纠错 decision on the unit's sanction."""

import datetime
import importlib
import pathlib

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from cadres.models import Education
from core.models import Job
from incentives.models import BonusBase, Decision, TeamPool
from recall import services as recall_services
from recall.models import CaseSource, Flag, Situation
from recall.services_catalogue import negative_list_add
from recall.services_flags import adjustment_propose
from recall.tasks import JOB_KIND as FLAG_JOB
from supervision.models import MatterType
from tests.factories import IncentiveEntryFactory, make_exemption
from tests.scope.conftest import World, world  # noqa: F401 (the fixture, used here)


@pytest.fixture
def matrix_world(world) -> World:  # noqa: F811
    world.educations = {
        key: Education.objects.create(
            cadre=cadre, level="bachelor", school="西北大学", end_date=datetime.date(2002, 7, 1)
        )
        for key, cadre in world.cadres.items()
    }
    for key, batch in world.batches.items():
        sheet = f"身份证号,姓名,德\n{world.cadres[key].id_number},{world.cadres[key].name},90\n"
        batch.original_name = f"{world.units[key].name}评分表.csv"
        batch.file.save(batch.original_name, ContentFile(sheet.encode()), save=False)
        batch.save(update_fields=["original_name", "file"])
    actor = world.users["city_staff"]
    situation = Situation.objects.get(code="C01")
    world.recall_cases, world.flags, world.adjustments = {}, {}, {}
    for key, cadre in world.cadres.items():
        world.recall_cases[key] = recall_services.case_propose(
            actor=actor, cadre=cadre, source=CaseSource.SITUATION, situation=situation, reason="业务不熟"
        )
        world.flags[key] = Flag.objects.create(
            cadre=cadre,
            unit=cadre.unit,
            rule_key="grade",
            rule_name="最近一个年度考核为不称职或更差",
            anchor="2025",
            facts=[{"label": "2025年度考核", "value": "不称职"}],
            raised_at=timezone.now(),
        )
        world.adjustments[key] = adjustment_propose(
            actor=actor, cadre=cadre, method="removal", reason="不胜任"
        )
    # each unit's 负面清单 names a situation (its remove button)
    world.negative_entries = {
        key: negative_list_add(actor=actor, unit=unit, situation=situation)
        for key, unit in world.units.items()
    }
    # a 容错纠错 decision per unit, on its sanction (its page, revision and revocation)
    world.exemptions = {
        key: make_exemption(world.users["city_head"], MatterType.SANCTION, sanction)
        for key, sanction in world.sanctions.items()
    }
    # 激励关爱: per unit its cadre on the 评先选优 list with a decision, a bonus base and a team pool
    world.incentive_entries, world.bonus_bases, world.team_pools = {}, {}, {}
    for key, cadre in world.cadres.items():
        world.incentive_entries[key] = IncentiveEntryFactory(period=world.period, cadre=cadre)
        Decision.objects.create(
            period=world.period, cadre=cadre, unit=cadre.unit, kind="commendation", verdict="granted",
            reason="同意", decided_by=actor, decided_on=datetime.date.today(),
        )  # fmt: skip
        world.bonus_bases[key] = BonusBase.objects.create(
            period=world.period, unit=cadre.unit, amount=10000, set_by=actor
        )
        world.team_pools[key] = TeamPool.objects.create(
            period=world.period, unit=cadre.unit, kind="project", name=f"{cadre.unit.name}项目组", tier="良好",
            base=1000, total=1000, created_by=actor,
        )  # fmt: skip
    # 关爱: per unit a care record, the unit a hardship post, and a departed village cadre
    from incentives import services_care as care_services
    from tests.factories import CadreFactory

    world.care_records, world.hardship_posts, world.departures = {}, {}, {}
    for key, cadre in world.cadres.items():
        unit = world.units[key]
        world.care_records[key] = care_services.care_record_create(
            actor=actor, cadre=cadre, kind="talk", date=datetime.date.today(), content=f"与{cadre.name}谈心"
        )
        world.hardship_posts[key] = care_services.hardship_post_designate(actor=actor, unit=unit)
        villager = CadreFactory(
            unit=unit,
            name=f"{cadre.name}离任",
            kind="village",
            rank="none",
            identity="village",
            post_title="村委委员",
        )
        world.departures[key] = care_services.departure_register(
            actor=actor,
            cadre=villager,
            left_on=datetime.date.today() - datetime.timedelta(days=400),
            years_served=6,
            monthly_subsidy=300,
        )
    # the objects the rows_<area>.py modules' rows name
    for path in sorted(pathlib.Path(__file__).parent.glob("rows_*.py")):
        module = importlib.import_module(f"tests.permissions.{path.stem}")
        if hasattr(module, "build"):
            module.build(world)
    # the flag evaluation the recall cases queued (run after commit, which a test never reaches)
    Job.objects.filter(kind=FLAG_JOB).delete()
    return world
