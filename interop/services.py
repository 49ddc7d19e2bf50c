"""Importing 任免审批表 files into the registry: preview, then commit.

``batch_create`` stores the upload and previews it: every file is read (``lrmx``/``lrm``), its
cadre found by ID number among the registered ones in one query (a different name is an error,
as in the sheet import), and every value it would write is compared with what is stored, at
the precision the file gives (``199507`` is July 1995, whatever day is stored). Reading the
registry takes one query per table whatever the number of files. Nothing is written but the
batch. An empty element never erases a stored value.

``batch_commit`` reads the stored upload again, plans it against the registry as it is then,
and writes it all or nothing with bulk statements, audited with ``batch="lrmx:<id>"``. A batch
whose files match the registry writes nothing and says so.
"""

from __future__ import annotations

import copy
import datetime
import functools
import io
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from assessment.sheets.parse import same_name
from audit.models import AuditAction
from audit.services import Change, audit_record_bulk, snapshot
from cadres import idnumber, search
from cadres.models import (
    RANKS_BY_KIND,
    Cadre,
    CadreFacts,
    CadreKind,
    CadreStatus,
    Education,
    EducationLevel,
    Identity,
    PoliticalStatus,
    PostKind,
    PostRecord,
    Rank,
    StudyMode,
    Unit,
)
from cadres.selectors import scope_q, unit_in_scope
from core.bulk import bulk_insert, bulk_update_rows, reserve_pks

from . import intake, lrm, lrmx, mapping
from .errors import FileProblem
from .models import BatchStatus, LrmxBatch
from .person import BadDate, Person, parse_day, where

NOTHING_TO_DO = "没有需要更新的数据：文件中的信息与系统中一致，未写入任何数据。"
ALREADY_COMMITTED = "该批次已经导入过，本次没有写入任何数据。"
PREVIEW_CHANGES = 60  # changes shown per file; the counts are complete
MAX_PHOTO_PIXELS = 4000 * 4000

CADRE_ELEMENTS = {
    "name": "XingMing",
    "gender": "XingBie",
    "birth_date": "ChuShengNianYue",
    "ethnicity": "MinZu",
    "political_status": "RuDangShiJian",
    "party_join_date": "RuDangShiJian",
    "work_start_date": "CanJiaGongZuoShiJian",
    "post_title": "XianRenZhiWu",
    "id_number": "ShenFenZheng",
    "kind": "",
    "rank": "",
    "identity": "",
    "unit": "",
}
FACT_ELEMENTS = {
    "native_place": "JiGuan",
    "birth_place": "ChuShengDi",
    "health": "JianKangZhuangKuang",
    "professional_title": "ZhuanYeJiShuZhiWu",
    "expertise": "ShuXiZhuanYeYouHeZhuanChang",
    "rewards_text": "JiangChengQingKuang",
}
EDUCATION_PREFIX = {StudyMode.FULL_TIME: "QuanRiZhiJiaoYu_", StudyMode.IN_SERVICE: "ZaiZhiJiaoYu_"}
DEFAULTS = {"kind": CadreKind.GENERAL, "rank": Rank.STAFF, "identity": Identity.CIVIL_SERVANT}


def _study_label(mode) -> str:
    """全日制教育 / 在职教育 (the choice's own label already ends in 教育 for the latter)."""
    label = StudyMode(mode).label
    return label if label.endswith("教育") else f"{label}教育"


def _label(model, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


def _show(value) -> str:
    if value is None or value == "":
        return "（空）"
    if isinstance(value, datetime.date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, bytes):
        return f"照片（{max(len(value) // 1024, 1)} KB）"
    if isinstance(value, list):
        return "；".join(" ".join(v for v in m.values() if v) for m in value) or "（空）"
    return str(value)


# ---------------------------------------------------------------- the plan


@dataclass
class FilePlan:
    name: str
    action: str = "error"  # create | update | unchanged | error
    cadre: Cadre | None = None
    cadre_before: dict = field(default_factory=dict)  # field -> old value, of the fields that change
    facts: CadreFacts | None = None
    facts_new: bool = False
    facts_before: dict = field(default_factory=dict)
    edu_new: list[dict] = field(default_factory=list)  # the new rows' values
    edu_changed: list[tuple[Education, dict]] = field(default_factory=list)
    post_new: list[dict] = field(default_factory=list)
    post_changed: list[tuple[PostRecord, dict]] = field(default_factory=list)
    shown: list[list[str]] = field(default_factory=list)  # [label, old, new]
    notes: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (element, message)

    def problem(self, element: str, message: str) -> None:
        self.problems.append((element, message))

    def change(self, label: str, old, new) -> None:
        self.shown.append([label, _show(old), _show(new)])

    @property
    def writes(self) -> bool:
        return bool(
            self.action == "create"
            or self.cadre_before
            or self.facts_new
            or self.facts_before
            or self.edu_new
            or self.edu_changed
            or self.post_new
            or self.post_changed
        )

    def entry(self) -> dict:
        cadre = self.cadre
        return {
            "file": self.name,
            "action": self.action,
            "cadre": cadre.pk if cadre is not None and cadre.pk else None,
            "name": cadre.name if cadre is not None else "",
            "id": idnumber.mask(cadre.id_number) if cadre is not None and cadre.id_number else "",
            "changes": self.shown[:PREVIEW_CHANGES],
            "more": max(len(self.shown) - PREVIEW_CHANGES, 0),
            "notes": self.notes,
            "problems": [[where(e) if e else "", m] for e, m in self.problems],
        }


@dataclass
class Plan:
    files: list[FilePlan]
    notes: list[str]

    @property
    def errors(self) -> list[dict]:
        return [
            {"file": f.name, "element": where(e) if e else "", "message": m}
            for f in self.files
            for e, m in f.problems
        ]

    def count(self, action: str) -> int:
        return sum(1 for f in self.files if f.action == action)


def _read(item: intake.Item) -> tuple[Person, str]:
    if item.kind == "lrm":
        return lrm.read(item.data, item.photo)
    return lrmx.read(item.data), ""


def _check_photo(data: bytes) -> None:
    problem = _photo_problem(data)
    if problem:
        raise FileProblem("ZhaoPian", problem)


@functools.lru_cache(maxsize=4096)
def _photo_problem(data: bytes) -> str:
    """What is wrong with a photo ("" when nothing): the commit checks the preview's photos
    again, often in the same process."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > lrmx.MAX_PHOTO:
        return f"{where('ZhaoPian')}过大（超过 {lrmx.MAX_PHOTO // 1024 // 1024} MB）。"
    try:
        with Image.open(io.BytesIO(data)) as img:
            # the header is read, not the pixels: enough to refuse what is no image or too large
            if img.width * img.height > MAX_PHOTO_PIXELS:
                return f"{where('ZhaoPian')}尺寸异常（{img.width}×{img.height}），已拒绝。"
            if img.format not in ("JPEG", "PNG", "BMP", "GIF"):
                return f"{where('ZhaoPian')}不是 JPEG 图片。"
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return f"{where('ZhaoPian')}不是有效的图片。"
    return ""


class _Registry:
    """What the plan reads of the registry for a set of ID numbers: one query per table."""

    def __init__(self, actor, digests: list[str]):
        self.cadres = {
            c.id_number_hash: c
            for c in Cadre.objects.filter(id_number_hash__in=digests).select_related("unit", "facts")
        }
        ids = [c.pk for c in self.cadres.values()]
        self.educations: dict[int, list[Education]] = {}
        for e in Education.objects.filter(cadre_id__in=ids).order_by("end_date", "id"):
            self.educations.setdefault(e.cadre_id, []).append(e)
        self.posts: dict[int, list[PostRecord]] = {}
        for p in PostRecord.objects.filter(cadre_id__in=ids).order_by("start_date", "id"):
            self.posts.setdefault(p.cadre_id, []).append(p)
        # unit names in scope that name one unit only: résumé texts are split at them
        seen: dict[str, int | None] = {}
        for pk, name in Unit.objects.filter(scope_q(actor, prefix="")).values_list("pk", "name"):
            seen[name] = None if name in seen else pk
        self.unit_ids = {name: pk for name, pk in seen.items() if pk is not None}
        self.unit_names = set(seen)
        self.longest = max(map(len, self.unit_names), default=0)
        self.today = timezone.localdate()


# python-stdnum's check of the area code is the costliest step of reading a file; the commit
# checks the numbers the preview checked, often in the same process
_validate = functools.lru_cache(maxsize=20_000)(idnumber.validate)


def _defaults(defaults: dict | None) -> dict:
    out = dict(DEFAULTS)
    for key, value in (defaults or {}).items():
        if key in out and value:
            out[key] = value
    errors = {}
    if out["kind"] not in CadreKind.values:
        errors["kind"] = "干部类别无效。"
    if out["rank"] not in Rank.values:
        errors["rank"] = "职级无效。"
    if out["identity"] not in Identity.values:
        errors["identity"] = "身份类别无效。"
    if not errors and out["rank"] not in RANKS_BY_KIND[CadreKind(out["kind"])]:
        errors["rank"] = f"{CadreKind(out['kind']).label}的职级应为：" + "、".join(
            Rank(r).label for r in sorted(RANKS_BY_KIND[CadreKind(out["kind"])])
        )
    if out["kind"] == CadreKind.VILLAGE and out["identity"] != Identity.VILLAGE:
        errors["identity"] = "村（社区）干部的身份类别应为“村（社区）干部”。"
    if errors:
        raise ValidationError(errors)
    return out


def plan_upload(
    *, actor, unit: Unit, defaults: dict | None, items: list[intake.Item], notes: list[str]
) -> Plan:
    """What importing ``items`` would do; writes nothing."""
    defaults = _defaults(defaults)
    plans: list[FilePlan] = []
    people: list[tuple[FilePlan, Person, str]] = []
    for item in items:
        fp = FilePlan(name=item.name)
        plans.append(fp)
        try:
            person, note = _read(item)
            if person.photo:
                _check_photo(person.photo)
        except FileProblem as exc:
            fp.problem(exc.element, exc.message)
            continue
        if note:
            fp.notes.append(note)
        if person.unknown:
            fp.notes.append("已忽略本系统不使用的元素：" + "、".join(dict.fromkeys(person.unknown)))
        if item.kind == "lrm" and item.photo is None:
            fp.notes.append("没有同名的 .pic 照片文件，照片不变。")
        raw = person.get("ShenFenZheng")
        if not raw:
            fp.problem("ShenFenZheng", "缺少身份证号，无法确定是哪位干部。")
            continue
        try:
            number = _validate(raw)
        except idnumber.IdNumberError as exc:
            fp.problem("ShenFenZheng", str(exc))
            continue
        people.append((fp, person, number))

    digest = idnumber.digester()
    digests = {}
    for fp, _person, number in people:
        d = digest(number)
        if d in digests:
            fp.problem("ShenFenZheng", f"与“{digests[d].name}”是同一身份证号，同一人只能导入一份。")
        else:
            digests[d] = fp
    registry = _Registry(actor, list(digests))
    for fp, person, number in people:
        if fp.problems:
            continue
        existing = registry.cadres.get(digest(number))
        if existing is not None and not unit_in_scope(actor, existing.unit):
            fp.problem(
                "ShenFenZheng",
                f"身份证号 {idnumber.mask(number)} 已在您管辖范围以外的单位登记，不能导入或修改。",
            )
            continue
        if existing is not None and not same_name(person.get("XingMing"), existing.name):
            fp.problem(
                "XingMing",
                f"姓名“{person.get('XingMing')}”与系统中该身份证号登记的“{existing.name}”不一致，请核对。",
            )
            continue
        _plan_person(fp, person, number, existing, unit, defaults, registry)
    return Plan(files=plans, notes=notes)


def _plan_person(fp: FilePlan, person: Person, number: str, existing, unit, defaults, registry) -> None:
    today = timezone.localdate()
    new = existing is None
    if new:
        cadre = Cadre(
            unit=unit,
            id_number=number,
            name="".join(person.get("XingMing").split()),
            kind=defaults["kind"],
            rank=defaults["rank"],
            identity=defaults["identity"],
            status=CadreStatus.ON_POST,
            political_status=PoliticalStatus.MASSES,
            birth_date=idnumber.birth_date(number),
            gender=idnumber.gender(number),
        )
        if not cadre.name:
            fp.problem("XingMing", "缺少姓名。")
    else:
        cadre = copy.copy(existing)
    fp.cadre = cadre
    wanted: dict[str, object] = {}

    # 性别, 出生年月: the ID number decides; the file must agree with it
    sex = "".join(person.get("XingBie").split())
    if sex:
        if sex not in mapping.GENDERS:
            fp.problem("XingBie", f"{where('XingBie')}“{sex}”无法识别，应为“男”或“女”。")
        elif mapping.GENDERS[sex] != idnumber.gender(number):
            fp.problem("XingBie", "性别与身份证号不一致（身份证号第17位奇数为男、偶数为女）。")
    born = idnumber.birth_date(number)
    try:
        day = parse_day(person.get("ChuShengNianYue"))
    except BadDate as exc:
        fp.problem(
            "ChuShengNianYue", f"{where('ChuShengNianYue')}“{exc}”不是日期（应为 yyyyMM 或 yyyyMMdd）。"
        )
    else:
        if day is not None and not day.same(born):
            fp.problem("ChuShengNianYue", f"出生年月与身份证号不一致（身份证号显示为{born:%Y年%m月}）。")
    if new or existing.birth_date != born:
        wanted["birth_date"] = born
    if person.get("MinZu"):
        wanted["ethnicity"] = mapping.ethnicity(person.get("MinZu"))
    try:
        party = mapping.party_fact(person.get("RuDangShiJian"))
    except BadDate as exc:
        fp.problem("RuDangShiJian", f"{where('RuDangShiJian')}“{exc}”不是日期，也不是政治面貌。")
        party = None
    if party is not None:
        if party.day is None:
            wanted["political_status"] = party.status
            wanted["party_join_date"] = None
        else:
            keep = not new and existing.political_status in (
                PoliticalStatus.CPC,
                PoliticalStatus.PROBATIONARY,
            )
            wanted["political_status"] = existing.political_status if keep else PoliticalStatus.CPC
            if new or not party.day.same(existing.party_join_date):
                wanted["party_join_date"] = party.day.date
    try:
        work = parse_day(person.get("CanJiaGongZuoShiJian"))
    except BadDate as exc:
        fp.problem("CanJiaGongZuoShiJian", f"{where('CanJiaGongZuoShiJian')}“{exc}”不是日期。")
        work = None
    if work is not None and (new or not work.same(existing.work_start_date)):
        wanted["work_start_date"] = work.date
    elif work is None and new and not fp.problems:
        fp.problem("CanJiaGongZuoShiJian", "缺少参加工作时间，新登记的干部必须填写。")
    post = "".join(person.get("XianRenZhiWu").split())
    home = (unit if new else existing.unit).name
    if post.startswith(home) and len(post) > len(home):
        post = post[len(home) :]
    if post:
        wanted["post_title"] = post
    elif new:
        fp.problem("XianRenZhiWu", "缺少现任职务，新登记的干部必须填写。")

    for name, value in wanted.items():
        old = None if new else getattr(existing, name)
        if new or old != value:
            if not new:
                fp.cadre_before[name] = old
            setattr(cadre, name, value)
    if not new and not fp.cadre_before:
        cadre = existing
        fp.cadre = existing
    # The number was validated above (python-stdnum's area lookup is the costliest step of a
    # file): the model's clean() need not do it again, so it sees no number while it runs.
    cadre.id_number = ""
    try:
        cadre.clean_fields(exclude=["unit", "id_number", "id_number_hash", "id_tail_hash", "name_initials"])
        cadre.clean()
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            element = CADRE_ELEMENTS.get(name, "")
            for message in messages:
                fp.problem(element, message)
    finally:
        cadre.id_number = number
    if new:
        for name in ("name", "gender", "ethnicity", "birth_date", "political_status", "party_join_date",
                     "work_start_date", "post_title"):  # fmt: skip
            value = getattr(cadre, name)
            if value not in (None, ""):
                fp.change(
                    _label(Cadre, name),
                    None,
                    value
                    if name not in ("gender", "political_status")
                    else getattr(cadre, f"get_{name}_display")(),
                )
        fp.change("身份证号", None, idnumber.mask(number))
        fp.change("所在单位", None, unit.name)
        fp.change(
            "干部类别 / 职级 / 身份类别",
            None,
            f"{cadre.get_kind_display()} / {cadre.get_rank_display()} / {cadre.get_identity_display()}",
        )
    else:
        for name, old in fp.cadre_before.items():
            new_value = getattr(cadre, name)
            if name == "political_status":
                old, new_value = PoliticalStatus(old).label, PoliticalStatus(new_value).label
            fp.change(_label(Cadre, name), old, new_value)

    resume, leftover = mapping.resume_lines(person.get("JianLi"))
    if leftover:
        fp.notes.append(f"简历中有 {len(leftover)} 行不能识别为任职经历，原样保存为简历文字。")
    _plan_facts(fp, person, existing, "\n".join(leftover))
    _plan_educations(fp, person, existing, registry, resume, work, today)
    _plan_posts(fp, resume, existing, registry)
    if fp.problems:
        fp.action = "error"
    elif new:
        fp.action = "create"
    else:
        fp.action = "update" if fp.writes else "unchanged"


def _plan_facts(fp: FilePlan, person: Person, existing, resume_text: str) -> None:
    stored = None
    if existing is not None:
        try:
            stored = existing.facts
        except CadreFacts.DoesNotExist:
            stored = None
    facts = copy.copy(stored) if stored is not None else CadreFacts()
    wanted = {name: person.get(element) for name, element in FACT_ELEMENTS.items() if person.get(element)}
    if person.family:
        wanted["family"] = person.family
    if person.photo:
        wanted["photo"] = person.photo
    if resume_text:
        wanted["resume_text"] = resume_text
    before = {}
    for name, value in wanted.items():
        old = getattr(facts, name) if stored is not None else None
        if isinstance(old, memoryview):
            old = bytes(old)
        if old != value:
            before[name] = old
            setattr(facts, name, value)
            fp.change(_label(CadreFacts, name), old, value)
    for name, element in FACT_ELEMENTS.items():
        limit = CadreFacts._meta.get_field(name).max_length
        if limit and len(getattr(facts, name)) > limit:
            fp.problem(element, f"{where(element)}过长（最多 {limit} 个字）。")
    if stored is None and before:
        fp.facts, fp.facts_new = facts, True
    elif before:
        fp.facts, fp.facts_before = facts, before
    else:
        fp.facts = stored


def _plan_educations(fp: FilePlan, person: Person, existing, registry, resume, work, today) -> None:
    stored = registry.educations.get(existing.pk, []) if existing is not None else []
    for mode, prefix in EDUCATION_PREFIX.items():
        level_text = person.get(prefix + "XueLi")
        place = person.get(prefix + "XueLi_BiYeYuanXiaoXi") or person.get(prefix + "XueWei_BiYeYuanXiaoXi")
        degree = "".join(person.get(prefix + "XueWei").split())
        if not level_text:
            if place or degree:
                fp.notes.append(f"{_study_label(mode)}没有填写学历，院校和学位未导入。")
            continue
        level = mapping.education_level(level_text)
        if level is None:
            fp.problem(
                prefix + "XueLi",
                f"{where(prefix + 'XueLi')}“{level_text}”无法识别（应为研究生、大学本科、大学专科、中专或高中等）。",
            )
            continue
        school, major = mapping.school_major(place)
        if len(school) > 100 or len(major) > 100 or len(degree) > 30:
            fp.problem(prefix + "XueLi_BiYeYuanXiaoXi", f"{where(prefix + 'XueLi_BiYeYuanXiaoXi')}过长。")
            continue
        label = _study_label(mode)
        match = next((e for e in reversed(stored) if e.mode == mode and e.level == level), None)
        if match is None:
            if not school:
                fp.notes.append(f"{label}没有填写毕业院校，未导入。")
                continue
            end = _graduation(school, resume, work if mode == StudyMode.FULL_TIME else None)
            if end is None:
                end = today
                fp.notes.append(f"{label}（{school}）的毕业时间文件中没有写明，暂记为导入当天，请核对。")
            # kept as the row's values: the instance is made by the commit only
            fp.edu_new.append(
                {
                    "level": level,
                    "degree": degree,
                    "school": school,
                    "major": major,
                    "mode": mode,
                    "end_date": end,
                }
            )
            fp.change(
                label,
                None,
                f"{EducationLevel(level).label} {degree} {mapping.school_text(school, major)}".replace(
                    "  ", " "
                ),
            )
            continue
        before = {}
        for name, value in (("degree", degree), ("school", school), ("major", major)):
            if value and getattr(match, name) != value:
                before[name] = getattr(match, name)
        if before:
            edu = copy.copy(match)
            for name in before:
                setattr(edu, name, {"degree": degree, "school": school, "major": major}[name])
            fp.edu_changed.append((edu, before))
            for name, old in before.items():
                fp.change(f"{label}{_label(Education, name)}", old, getattr(edu, name))


def _graduation(school: str, resume, work) -> datetime.date | None:
    """When the résumé names the school, the end of that line; else the work start (a
    full-time education ends before work starts)."""
    for line in resume:
        if school and school in line.text and line.end is not None:
            return line.end.date
    return work.date if work is not None else None


def _plan_posts(fp: FilePlan, resume, existing, registry) -> None:
    stored = registry.posts.get(existing.pk, []) if existing is not None else []
    by_month: dict[tuple[int, int], PostRecord] = {}
    for post in stored:
        by_month.setdefault((post.start_date.year, post.start_date.month), post)
    for line in resume:
        text = "".join(line.text.split())[:200]
        post = by_month.get((line.start.date.year, line.start.date.month))
        end = line.end.date if line.end else None
        shown = mapping.resume_line(line.start.date, end, text).strip()
        if post is None:
            unit_name, title = mapping.split_post(text, registry.unit_names, registry.longest)
            record = {
                "unit_id": registry.unit_ids.get(unit_name),
                "unit_name": unit_name[:100],
                "title": title[:100],
                "kind": PostKind.REGULAR,
                "start_date": line.start.date,
                "end_date": end,
            }
            if line.start.date > registry.today:
                fp.problem("JianLi", f"简历“{shown}”的起始时间晚于今天。")
                continue
            fp.post_new.append(record)
            fp.change("任职经历", None, shown)
            continue
        before = {}
        if (line.end is None) != (post.end_date is None) or (
            line.end is not None and not line.end.same(post.end_date)
        ):
            before["end_date"] = post.end_date
        if "".join(f"{post.unit_name}{post.title}".split()) != text:
            before["unit_name"], before["title"] = post.unit_name, post.title
        if before:
            record = copy.copy(post)
            if "end_date" in before:
                record.end_date = end
            if "title" in before:
                unit_name, title = mapping.split_post(text, registry.unit_names, registry.longest)
                record.unit_name, record.title = unit_name[:100], title[:100]
                record.unit_id = registry.unit_ids.get(
                    unit_name, record.unit_id if unit_name == post.unit_name else None
                )
            fp.post_changed.append((record, before))
            old = mapping.resume_line(post.start_date, post.end_date, f"{post.unit_name}{post.title}").strip()
            fp.change("任职经历", old, shown)


# ---------------------------------------------------------------- batches


def _require_import(actor, unit: Unit) -> None:
    if not actor.can("edit_registry"):
        raise PermissionDenied("您的角色无权导入任免审批表。")
    if not unit_in_scope(actor, unit):
        raise ValidationError({"unit": "该单位不在您的管辖范围内。"})


def _apply(batch: LrmxBatch, plan: Plan) -> None:
    batch.files_total = len(plan.files)
    batch.files_new = plan.count("create")
    batch.files_changed = plan.count("update")
    batch.files_unchanged = plan.count("unchanged")
    batch.errors = plan.errors
    batch.notes = plan.notes
    batch.preview = [f.entry() for f in plan.files]


def batch_plan(batch: LrmxBatch, actor) -> Plan:
    with batch.file.open("rb") as fh:
        data = fh.read()
    upload = intake.read_upload([(batch.original_name, data)], packed=batch.packed)
    return plan_upload(
        actor=actor, unit=batch.unit, defaults=batch.defaults, items=upload.items, notes=upload.notes
    )


@transaction.atomic
def batch_create(
    *, actor, unit: Unit, files: list[tuple[str, bytes]], defaults: dict | None = None
) -> LrmxBatch:
    """Store the upload and preview it. ``UploadRejected`` (nothing stored) when the upload as a
    whole is refused; file-level problems are the batch's errors."""
    _require_import(actor, unit)
    defaults = _defaults(defaults)
    intake.check_size(sum(len(d) for _, d in files))
    name, data = intake.pack(files)
    upload = intake.read_upload([(name, data)], packed=len(files) > 1)
    plan = plan_upload(actor=actor, unit=unit, defaults=defaults, items=upload.items, notes=upload.notes)
    batch = LrmxBatch(
        uploaded_by=actor,
        unit=unit,
        scope_path=actor.scope_path or "",
        defaults=defaults,
        original_name=name[:255],
        packed=len(files) > 1,
    )
    _apply(batch, plan)
    if plan.errors:
        batch.status = BatchStatus.INVALID
        batch.message = f"{len(plan.errors)} 处错误，请修改文件后重新上传；未写入任何数据。"
    elif batch.files_new + batch.files_changed == 0:
        batch.message = NOTHING_TO_DO
    batch.file.save(name, ContentFile(data), save=False)
    batch.save()
    return batch


@transaction.atomic
def batch_commit(*, actor, batch: LrmxBatch) -> LrmxBatch:
    """Write the batch's files as they read against the registry now: all or nothing."""
    batch = LrmxBatch.objects.select_for_update().select_related("unit").get(pk=batch.pk)
    _require_import(actor, batch.unit)
    if batch.status == BatchStatus.COMMITTED:
        batch.message = ALREADY_COMMITTED
        return batch
    if batch.status == BatchStatus.INVALID:
        raise ValidationError("该批次有错误，不能导入。请修改文件后重新上传。")
    plan = batch_plan(batch, actor)
    _apply(batch, plan)
    if plan.errors:
        batch.status = BatchStatus.INVALID
        batch.message = f"预览之后系统中的数据有变化，现有 {len(plan.errors)} 处错误；未写入任何数据。"
        batch.save()
        return batch
    tag = f"lrmx:{batch.pk}"
    written = _write(actor, plan, tag)
    batch.status = BatchStatus.COMMITTED
    batch.committed_at = timezone.now()
    if written:
        batch.message = (
            f"已导入：新登记 {batch.files_new} 人，更新 {batch.files_changed} 人，"
            f"{batch.files_unchanged} 人无变化。"
        )
    else:
        batch.message = NOTHING_TO_DO
    batch.save()
    return batch


def _write(actor, plan: Plan, tag: str) -> bool:
    now = timezone.now()
    files = [f for f in plan.files if f.writes]
    if not files:
        return False
    digest = idnumber.digester()
    created = [f.cadre for f in files if f.action == "create"]
    for cadre in created:
        cadre.id_number_hash = digest(idnumber.normalize(cadre.id_number))
        cadre.id_tail_hash = search.tail_digest(cadre.id_number)
        cadre.id_number_masked = idnumber.mask(cadre.id_number)
        cadre.name_initials = search.name_initials(cadre.name)
        cadre.created_at = cadre.updated_at = now
    # ids reserved first, so the children can name their cadre and COPY can write every row
    for cadre, pk in zip(created, reserve_pks(Cadre, len(created)), strict=True):
        cadre.pk = pk
    bulk_insert(Cadre, created)
    changes: list[Change] = []
    for cadre in created:
        changes.append(Change(AuditAction.CREATE, cadre, None, snapshot(cadre), cadre.pk, cadre.unit.path))
    updated = [f for f in files if f.action == "update" and f.cadre_before]
    fields = sorted({name for f in updated for name in f.cadre_before})
    for f in updated:
        f.cadre.updated_at = now
        before = {k: _audit_value(v) for k, v in f.cadre_before.items()}
        after = {k: _audit_value(getattr(f.cadre, k)) for k in f.cadre_before}
        changes.append(Change(AuditAction.UPDATE, f.cadre, before, after, f.cadre.pk, f.cadre.unit.path))
    if updated:
        bulk_update_rows(
            Cadre,
            fields,
            [(f.cadre.pk, *(getattr(f.cadre, name) for name in fields)) for f in updated],
            constants={"updated_at": now},
        )

    new_facts, changed_facts = [], []
    for f in files:
        f.edu_new = [Education(cadre=f.cadre, **values) for values in f.edu_new]
        f.post_new = [PostRecord(cadre=f.cadre, **values) for values in f.post_new]
        if f.facts_new:
            f.facts.cadre = f.cadre
            new_facts.append(f.facts)
        elif f.facts_before:
            changed_facts.append(f)
    CadreFacts.objects.bulk_create(new_facts, batch_size=500)
    for facts in new_facts:
        changes.append(
            Change(
                AuditAction.CREATE, facts, None, _facts_snapshot(facts), facts.cadre_id, facts.cadre.unit.path
            )
        )
    if changed_facts:
        names = sorted({n for f in changed_facts for n in f.facts_before})
        for f in changed_facts:
            f.facts.updated_at = now
        CadreFacts.objects.bulk_update(
            [f.facts for f in changed_facts], [*names, "updated_at"], batch_size=200
        )
        for f in changed_facts:
            before = {k: _audit_value(v) for k, v in f.facts_before.items()}
            after = {k: _audit_value(getattr(f.facts, k)) for k in f.facts_before}
            changes.append(Change(AuditAction.UPDATE, f.facts, before, after, f.cadre.pk, f.cadre.unit.path))

    for model, attr in ((Education, "edu_new"), (PostRecord, "post_new")):
        rows = [obj for f in files for obj in getattr(f, attr)]
        for obj, pk in zip(rows, reserve_pks(model, len(rows)), strict=True):
            obj.pk = pk
            obj.cadre_id = obj.cadre.pk
        bulk_insert(model, rows)
    for f in files:
        path = f.cadre.unit.path
        for obj in (*f.edu_new, *f.post_new):
            changes.append(Change(AuditAction.CREATE, obj, None, snapshot(obj), f.cadre.pk, path))
    for model, attr in ((Education, "edu_changed"), (PostRecord, "post_changed")):
        pairs = [(obj, before, f) for f in files for obj, before in getattr(f, attr)]
        if not pairs:
            continue
        names = sorted(
            {n for _, before, _ in pairs for n in before} | ({"unit"} if model is PostRecord else set())
        )
        model.objects.bulk_update([obj for obj, _, _ in pairs], names, batch_size=500)
        for obj, before, f in pairs:
            after = {k: _audit_value(getattr(obj, k)) for k in before}
            changes.append(
                Change(
                    AuditAction.UPDATE,
                    obj,
                    {k: _audit_value(v) for k, v in before.items()},
                    after,
                    f.cadre.pk,
                    f.cadre.unit.path,
                )
            )
    audit_record_bulk(actor=actor, changes=changes, batch=tag, reason="导入任免审批表")
    return True


def _audit_value(value):
    if isinstance(value, (bytes, memoryview)):
        return f"照片（{len(value)} 字节）"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _facts_snapshot(facts: CadreFacts) -> dict:
    return {k: _audit_value(v) for k, v in snapshot(facts).items() if v not in ("", None, [])}
