"""The org tree the scope tests walk, with one of everything in every unit.

示范市
├── 甲县
│   ├── 甲一镇 ── 甲一村        (the township user's subtree)
│   ├── 甲县审计局
│   └── 甲三镇                  (the township's sibling)
└── 乙县
    └── 乙一镇 ── 乙一村

Each unit has a cadre with a name found nowhere else (so a page naming it is easy to catch), a
leadership team holding that cadre, a recorded talk with an attachment, a problem clue, a
personal-matters check, a 述职评议 item, a sanction, an assessment and a team assessment in an open
period, an import batch and a recomputation job. Everything is written through the services by
the city's staff, so the audit trail holds an entry per unit too.
"""

import datetime
import io
from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.roles import Role
from assessment.models import Assessment, ImportBatch, ImportStatus, TeamAssessment
from cadres import services as cadre_services
from cadres.models import Cadre, Unit, UnitKind
from core.models import Job
from supervision.models import ClueSource, Interview, SanctionKind
from supervision.services import interviews as interview_services
from supervision.services import records as record_services
from supervision.services import sanctions as sanction_services
from tests.factories import CadreFactory, make_period, make_user, unit_child, unit_root

# unit key -> (code, name, kind, parent key, the cadre's name)
UNITS = {
    "city": ("C01", "示范市", UnitKind.CITY, None, "钱市长"),
    "county_a": ("C01A", "甲县", UnitKind.COUNTY, "city", "孙县长"),
    "town_a1": ("C01A01", "甲一镇", UnitKind.TOWNSHIP, "county_a", "李镇长"),
    "village_a1a": ("C01A0101", "甲一村", UnitKind.VILLAGE, "town_a1", "周村长"),
    "dept_a2": ("C01A02", "甲县审计局", UnitKind.DEPARTMENT, "county_a", "吴局长"),
    "town_a3": ("C01A03", "甲三镇", UnitKind.TOWNSHIP, "county_a", "郑镇长"),
    "county_b": ("C01B", "乙县", UnitKind.COUNTY, "city", "王县长"),
    "town_b1": ("C01B01", "乙一镇", UnitKind.TOWNSHIP, "county_b", "冯镇长"),
    "village_b1a": ("C01B0101", "乙一村", UnitKind.VILLAGE, "town_b1", "陈村长"),
}

# Which units each scoped user sees.
TOWNSHIP_SCOPE = {"town_a1", "village_a1a"}
COUNTY_SCOPE = {"county_a", "town_a1", "village_a1a", "dept_a2", "town_a3"}
# What a township user at 甲一镇 must never be shown: its county above, the county's other
# children, the city and the other county.
OUT_OF_TOWNSHIP = sorted(set(UNITS) - TOWNSHIP_SCOPE)
# What a county user at 甲县 must never be shown.
OUT_OF_COUNTY = sorted(set(UNITS) - COUNTY_SCOPE)

# An id no row has: the answer for it is what an out-of-scope id must look like.
MISSING_ID = 987654


def png_upload(name="notice.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@dataclass
class World:
    units: dict[str, Unit]
    cadres: dict[str, Cadre]
    users: dict[str, object]
    interviews: dict[str, Interview] = field(default_factory=dict)
    attachments: dict = field(default_factory=dict)
    clues: dict = field(default_factory=dict)
    checks: dict = field(default_factory=dict)
    review_items: dict = field(default_factory=dict)
    sanctions: dict = field(default_factory=dict)
    assessments: dict = field(default_factory=dict)
    team_assessments: dict = field(default_factory=dict)
    batches: dict = field(default_factory=dict)
    jobs: dict = field(default_factory=dict)
    members: dict = field(default_factory=dict)
    spares: dict = field(default_factory=dict)
    period: object = None

    def names_outside(self, keys) -> list[str]:
        """Every name (unit and cadre) of the given units."""
        return [n for k in keys for n in (self.units[k].name, self.cadres[k].name)]


# Users. No unit: one per role. 甲一镇: every role. 甲县: every role.
NO_UNIT_USERS = [f"nounit_{role}" for role in Role.values]
TOWNSHIP_USERS = [f"town_{role}" for role in Role.values]
COUNTY_USERS = [f"county_{role}" for role in Role.values]
# users who may write to the registry and supervision records
TOWNSHIP_WRITERS = ["town_staff", "town_head"]
COUNTY_WRITERS = ["county_staff", "county_head"]


@pytest.fixture
def world(db, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    units: dict[str, Unit] = {}
    for key, (code, name, kind, parent, _) in UNITS.items():
        units[key] = (
            unit_root(code, name, kind) if parent is None else unit_child(units[parent], code, name, kind)
        )
    units = {k: Unit.objects.get(pk=u.pk) for k, u in units.items()}

    users = {f"nounit_{role}": make_user(f"nounit_{role}", role, None) for role in Role.values}
    users.update({f"town_{role}": make_user(f"town_{role}", role, units["town_a1"]) for role in Role.values})
    users.update(
        {f"county_{role}": make_user(f"county_{role}", role, units["county_a"]) for role in Role.values}
    )
    users["city_staff"] = make_user("city_staff", Role.STAFF, units["city"])
    users["city_head"] = make_user("city_head", Role.HEAD, units["city"])
    users["root"] = make_user("root", Role.STAFF, None, is_superuser=True, is_staff=True)

    cadres = {key: CadreFactory(unit=units[key], name=UNITS[key][4]) for key in UNITS}
    w = World(units=units, cadres=cadres, users=users)
    # a second cadre per unit, on no team and with no records: one that may be deleted
    w.spares = {key: CadreFactory(unit=units[key], name=UNITS[key][4] + "助理") for key in UNITS}
    actor = users["city_staff"]
    period = make_period(year=2025, status="collecting")
    w.period = period
    today = datetime.date.today()
    for key, unit in units.items():
        cadre = cadres[key]
        w.members[key] = cadre_services.team_member_add(
            actor=actor, unit=unit, cadre=cadre, role_title="党委书记", is_main_leader=True
        )
        talk = interview_services.interview_record(
            actor=actor,
            kind="talk",
            subject_type="cadre",
            cadre=cadre,
            conducted_on=today - datetime.timedelta(days=3),
            record=f"与{cadre.name}谈心。",
        )
        w.interviews[key] = talk
        w.attachments[key] = interview_services.attachment_add(
            actor=actor, interview=talk, upload=png_upload()
        )
        w.clues[key] = record_services.clue_create(
            actor=actor,
            cadre=cadre,
            source=ClueSource.PETITION,
            received_on=today - datetime.timedelta(days=10),
            summary=f"反映{cadre.name}的问题。",
        )
        w.checks[key] = record_services.matters_check_create(
            actor=actor, cadre=cadre, year=today.year - 1, checked_on=today, outcome="truthful"
        )
        w.review_items[key] = record_services.review_item_create(
            actor=actor, secretary=cadre, year=today.year, problem=f"{unit.name}整改问题"
        )
        w.sanctions[key] = sanction_services.sanction_create(
            actor=actor,
            cadre=cadre,
            kind=SanctionKind.WARNING,
            decided_on=today - datetime.timedelta(days=30),
            reason="违反工作纪律",
        )
        w.assessments[key] = Assessment.objects.create(period=period, cadre=cadre, unit=unit)
        w.team_assessments[key] = TeamAssessment.objects.create(period=period, unit=unit)
        w.batches[key] = ImportBatch.objects.create(
            period=period,
            unit=unit,
            scope_path=unit.path,
            uploaded_by=actor,
            original_name=f"{unit.name}评分表.xlsx",
            status=ImportStatus.INVALID,
            errors=[{"row": 3, "column": "姓名", "message": f"{cadre.name}的姓名与登记不符。"}],
        )
        w.jobs[key] = Job.objects.create(
            kind="assessment.recompute",
            scope_path=unit.path,
            created_by=actor,
            params={"period": period.pk, "unit_path": unit.path},
            result={"unit": unit.name},
        )
    # The sanctions queued recomputations (run in-process): keep only the jobs made above.
    Job.objects.exclude(pk__in=[j.pk for j in w.jobs.values()]).delete()
    return w


def token_client(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def page_client(client, user):
    client.force_login(user)
    return client
