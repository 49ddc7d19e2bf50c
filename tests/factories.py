"""factory_boy factories. IDs are valid GB 11643 numbers built from the birth date."""

import datetime
import itertools

import factory
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from cadres import idnumber
from cadres.models import (
    Cadre,
    CadreKind,
    Education,
    EducationLevel,
    Gender,
    Identity,
    PostKind,
    PostRecord,
    Rank,
    Unit,
    UnitKind,
)

_seq = itertools.count(1)
AREA_CODE = "430121"  # 长沙县: valid for every birth year the tests use


def make_id(born: datetime.date, female: bool = False) -> str:
    n = next(_seq)
    seq = (n * 2) % 1000
    if not female:
        seq = seq + 1 if seq < 999 else 997
    # vary the area code so thousands of numbers per birth date stay unique
    area = ["430121", "430122", "360121", "360122", "510121", "510122", "340121"][(n // 500) % 7]
    return idnumber.make(area, born, seq)


def unit_root(code="C01", name="示范市", kind=UnitKind.CITY) -> Unit:
    return Unit.objects.add_root(create_kwargs={"code": code, "name": name, "kind": kind})


def unit_child(parent: Unit, code: str, name: str, kind=UnitKind.COUNTY) -> Unit:
    return Unit.objects.add_child(
        Unit.objects.get(pk=parent.pk), create_kwargs={"code": code, "name": name, "kind": kind}
    )


class CadreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cadre

    name = factory.Sequence(lambda n: f"干部{n}")
    birth_date = datetime.date(1980, 5, 17)
    gender = Gender.MALE
    id_number = factory.LazyAttribute(lambda o: make_id(o.birth_date, female=o.gender == Gender.FEMALE))
    work_start_date = datetime.date(2002, 7, 1)
    political_status = "cpc"
    party_join_date = datetime.date(2003, 7, 1)
    identity = Identity.CIVIL_SERVANT
    kind = CadreKind.LEADER_KE
    rank = Rank.FU_KE
    post_title = "副镇长"
    status = "on_post"


class EducationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Education

    level = EducationLevel.BACHELOR
    school = "湖南大学"
    major = "行政管理"
    end_date = datetime.date(2002, 6, 30)


class PostRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PostRecord

    unit_name = "某镇人民政府"
    title = "科员"
    kind = PostKind.REGULAR
    start_date = datetime.date(2002, 7, 1)


def make_user(username: str, role: str, unit: Unit | None, **extra) -> User:
    user = User.objects.create_user(username=username, password="pass-12345", role=role, unit=unit, **extra)
    return user


ALL_ROLES = [Role.STAFF, Role.HEAD, Role.COUNTY_ADMIN, Role.API_READER, Role.AUDITOR]


def make_period(*, year: int = 2025, quarter: int | None = None, status: str = "collecting"):
    """A period made by ``period_create`` (scheme copied from the default template), put in
    ``status`` directly, without opened rows: the test adds the assessments it needs."""
    from assessment.models import Period
    from assessment.services.periods import period_create

    actor = User.objects.filter(username="period_maker").first() or make_user(
        "period_maker", Role.STAFF, None
    )
    name = f"{year}年度" if quarter is None else f"{year}年第{quarter}季度"
    period = period_create(actor=actor, name=name, year=year, quarter=quarter)
    Period.objects.filter(pk=period.pk).update(status=status)
    period.status = status
    return period


def clear_results(period) -> None:
    """Nothing computed left in ``period``: totals, ranks, grades and explanations blank, team
    results and unit quotas gone (what a recomputation writes)."""
    from assessment.models import Assessment, TeamAssessment, UnitQuota

    Assessment.objects.filter(period=period).update(
        total_score=None,
        rank_in_unit=None,
        computed_grade="",
        final_grade="",
        grade_code=None,
        explanation=[],
    )
    TeamAssessment.objects.filter(period=period).delete()
    UnitQuota.objects.filter(period=period).delete()


class IncentiveEntryFactory(factory.django.DjangoModelFactory):
    """A cadre on a 三挂钩 list (``incentives.Entry``), as the lists engine would write it."""

    class Meta:
        model = "incentives.Entry"

    kind = "commendation"
    eligible = True
    unit = factory.LazyAttribute(lambda o: o.cadre.unit)
    reasons = factory.LazyAttribute(
        lambda o: [
            {
                "rule": "评先选优条件",
                "effect": "符合：年度考核为优秀" if o.eligible else "不符合：年度考核为基本称职",
                "facts": {"年度考核": "优秀" if o.eligible else "基本称职"},
            }
        ]
    )
    computed_at = factory.LazyFunction(lambda: timezone.now())  # the clock fixture's day


def make_exemption(actor, matter_type: str, matter, *, verdict: str = "tolerable", on=None, **extra):
    """A 容错纠错 decision (``supervision.Exemption``) on ``matter`` (an Interview, Sanction, Flag
    or RecallCase), written directly: the subject and unit are the matter's, the classification
    过失 / 因公 / 探索试错, the date the matter's own unless ``on`` is given."""
    from supervision.models import Exemption

    cadre = getattr(matter, "cadre", None)
    unit = getattr(matter, "unit", None) or cadre.unit
    day = on or getattr(matter, "conducted_on", None) or getattr(matter, "decided_on", None)
    return Exemption.objects.create(
        matter_type=matter_type,
        matter_id=matter.pk,
        cadre=cadre,
        unit=unit,
        intent=extra.pop("intent", "negligent"),
        motive=extra.pop("motive", "public"),
        nature=extra.pop("nature", "trial"),
        verdict=verdict,
        basis=extra.pop("basis", "属探索性工作中的失误，予以容错。"),
        decided_by=actor,
        decided_on=day or timezone.localdate(),
        **extra,
    )
