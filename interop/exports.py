"""The 干部任免审批表 of cadres as LRMX: one file, or a zip for a unit (with its subtree).

Everything a file needs is read in one query per table whatever the number of cadres: the
cadres with their unit and facts, their educations, their posts, and their annual grades.
Roles that may not see ID numbers (``view_id_number``) get them masked in the file; full ones
are recorded in the audit trail as viewed.
"""

from __future__ import annotations

import io
import zipfile
from collections import defaultdict

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from assessment.models import Assessment, Grade, PeriodStatus
from audit.services import audit_view
from cadres import idnumber
from cadres.models import Cadre, CadreFacts, Education, PoliticalStatus, PostRecord
from cadres.selectors import cadres_visible_to

from . import lrmx, mapping
from .person import Person, day_text, month_text

MAX_ZIP = 3000
QUOTED = {Grade.EXCELLENT, Grade.COMPETENT, Grade.BASIC, Grade.INCOMPETENT}


class TooMany(Exception):
    def __init__(self, count: int):
        super().__init__(count)
        self.count = count
        self.message = f"该单位（含下级单位）共有 {count} 名干部，一次最多导出 {MAX_ZIP} 份任免审批表，请选择下级单位导出。"


def annual_results(grades: list[tuple[int, str]]) -> str:
    """``2023年年度考核“称职”等次；2024年年度考核“优秀”等次。`` from (year, grade), the last
    three years; a 不定等次 year without the quotes."""
    parts = []
    for year, grade in sorted(grades)[-3:]:
        if grade in QUOTED:
            parts.append(f"{year}年年度考核“{grade}”等次")
        elif grade == Grade.UNDETERMINED:
            parts.append(f"{year}年年度考核不定等次")
        elif grade == Grade.NOT_ASSESSED:
            parts.append(f"{year}年未参加年度考核")
    return "；".join(parts) + "。" if parts else ""


def _grades(cadre_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    """The published annual grades of each cadre, one per year (the latest period's)."""
    rows = (
        Assessment.objects.filter(
            cadre_id__in=cadre_ids,
            period__quarter__isnull=True,
            period__status__in=(PeriodStatus.PUBLISHED, PeriodStatus.ARCHIVED),
        )
        .exclude(final_grade="")
        .order_by("period__year", "period_id")
        .values_list("cadre_id", "period__year", "final_grade")
    )
    by_cadre: dict[int, dict[int, str]] = defaultdict(dict)
    for cadre_id, year, grade in rows:
        by_cadre[cadre_id][year] = grade
    return {k: list(v.items()) for k, v in by_cadre.items()}


def _highest(educations: list[Education], mode: str) -> Education | None:
    mine = [e for e in educations if e.mode == mode]
    if not mine:
        return None
    return max(mine, key=lambda e: (mapping.LEVEL_ORDER.get(e.level, -1), e.end_date, e.pk))


def person_of(cadre: Cadre, *, grades, masked: bool, actor=None) -> Person:
    try:
        facts = cadre.facts
    except CadreFacts.DoesNotExist:
        facts = CadreFacts()
    today = timezone.localdate()
    values = {
        "XingMing": cadre.name,
        "XingBie": mapping.GENDER_TEXT.get(cadre.gender, ""),
        "ChuShengNianYue": month_text(cadre.birth_date),
        "MinZu": cadre.ethnicity,
        "JiGuan": facts.native_place,
        "ChuShengDi": facts.birth_place,
        "RuDangShiJian": day_text(cadre.party_join_date)
        if cadre.party_join_date
        else mapping.STATUS_TEXT.get(cadre.political_status, ""),
        "CanJiaGongZuoShiJian": day_text(cadre.work_start_date),
        "JianKangZhuangKuang": facts.health,
        "ZhuanYeJiShuZhiWu": facts.professional_title,
        "ShuXiZhuanYeYouHeZhuanChang": facts.expertise,
        "JiangChengQingKuang": facts.rewards_text,
        "NianDuKaoHeJieGuo": annual_results(grades),
        "ChengBaoDanWei": actor.unit.name if actor is not None and actor.unit_id else "",
        "JiSuanNianLingShiJian": f"{today:%Y%m%d}",
        "TianBiaoShiJian": f"{today:%Y%m%d}",
        "TianBiaoRen": (getattr(actor, "display_name", "") or actor.get_username())
        if actor is not None
        else "",
        "ShenFenZheng": idnumber.mask(cadre.id_number) if masked else cadre.id_number,
    }
    if cadre.political_status == PoliticalStatus.CPC and not cadre.party_join_date:
        values["RuDangShiJian"] = ""
    educations = list(cadre.educations.all())
    for mode, prefix in (("full_time", "QuanRiZhiJiaoYu_"), ("in_service", "ZaiZhiJiaoYu_")):
        edu = _highest(educations, mode)
        if edu is None:
            continue
        values[prefix + "XueLi"] = edu.get_level_display()
        values[prefix + "XueWei"] = edu.degree
        values[prefix + "XueLi_BiYeYuanXiaoXi"] = mapping.school_text(edu.school, edu.major)
        values[prefix + "XueWei_BiYeYuanXiaoXi"] = edu.school if edu.degree else ""
    unit_name = cadre.unit.name
    post = cadre.post_title
    values["XianRenZhiWu"] = post if post.startswith(unit_name) else f"{unit_name}{post}"
    lines = [
        mapping.resume_line(p.start_date, p.end_date, f"{p.unit_name}{p.title}") for p in cadre.posts.all()
    ]
    if facts.resume_text:
        lines.append(facts.resume_text)
    values["JianLi"] = "\n".join(lines)
    photo = facts.photo
    return Person(
        values=values,
        family=list(facts.family or []),
        photo=bytes(photo) if photo else None,
    )


def _queryset(qs: QuerySet) -> QuerySet:
    return (
        qs.select_related("unit", "facts")
        .prefetch_related(
            Prefetch("educations", queryset=Education.objects.order_by("end_date", "id")),
            Prefetch("posts", queryset=PostRecord.objects.order_by("start_date", "id")),
        )
        .order_by("unit__path", "name", "id")
    )


def filename(cadre: Cadre) -> str:
    return f"{cadre.name}_{cadre.pk}.lrmx"


def cadre_lrmx(user, cadre: Cadre) -> bytes:
    """One cadre's file (the caller has looked the cadre up in the user's scope)."""
    cadre = _queryset(cadres_visible_to(user).filter(pk=cadre.pk)).get()
    masked = not user.can("view_id_number")
    data = lrmx.write(
        person_of(cadre, grades=_grades([cadre.pk]).get(cadre.pk, []), masked=masked, actor=user)
    )
    if not masked:
        audit_view(actor=user, cadres=[cadre], where="任免审批表导出", scope_path=cadre.unit.path)
    return data


def unit_zip(user, unit) -> bytes:
    """A zip of the 任免审批表 of every cadre of ``unit`` and its subtree in the user's scope."""
    qs = cadres_visible_to(user).filter(unit__path__startswith=unit.path)
    count = qs.count()
    if count > MAX_ZIP:
        raise TooMany(count)
    cadres = list(_queryset(qs))
    grades = _grades([c.pk for c in cadres])
    masked = not user.can("view_id_number")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for cadre in cadres:
            person = person_of(cadre, grades=grades.get(cadre.pk, []), masked=masked, actor=user)
            archive.writestr(filename(cadre), lrmx.write(person))
    if not masked:
        audit_view(actor=user, cadres=cadres, where=f"任免审批表导出（{unit.name}）", scope_path=unit.path)
    return buf.getvalue()
