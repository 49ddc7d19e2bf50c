"""A realistic demo city (or province): org tree, cadres with their histories, leadership teams, users.

``seed_demo(cadres=2000, seed=…)`` builds 江州市 with three counties, about thirty townships,
city and county departments and a few villages, then generates the cadres in Python (a
seeded ``random.Random``, so the same seed gives the same city) and writes them with
``core.bulk.bulk_insert`` (COPY on PostgreSQL): no query per row. Every created object gets
an audit entry (actor 系统, one batch), written in bulk too.

Above ``PROVINCE_MIN_CADRES`` (200,000) cadres it builds 江南省 instead: cities of about
100,000 cadres each (江州市 first), each built as above, written city by city so memory holds one
city's rows at a time (``seed_demo --cadres 1000000``: ten cities, thirty counties of about 28,000
cadres, under 2 GB).

Running it again finds the city (by its code) and only resets the demo users' passwords.
"""

from __future__ import annotations

import datetime
import itertools
import random
import re
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from audit.models import AuditAction
from audit.services import SKIP_FIELDS, Change, audit_record_bulk, audit_rows_bulk, new_batch_id, snapshot
from core.bulk import bulk_insert, reserve_pks

from . import idnumber, search
from .models import (
    Cadre,
    CadreKind,
    CadreStatus,
    Education,
    EducationLevel,
    Gender,
    Identity,
    PoliticalStatus,
    PostKind,
    PostRecord,
    Rank,
    StudyMode,
    TeamMembership,
    Unit,
    UnitKind,
    _add_years,
)
from .services import CADRE_FIELDS as CADRE_FIELDS_WRITABLE

CITY_CODE = "JZ"
CITY_NAME = "江州市"
# Above PROVINCE_MIN_CADRES the demo is a province: 江南省 with cities of about CITY_CADRES
# cadres each, built like 江州市 (three counties of about 28,000 cadres, eight departments),
# one after the other so that no more than one city's rows are in memory at a time.
PROVINCE_CODE = "JN"
PROVINCE_NAME = "江南省"
PROVINCE_MIN_CADRES = 200_001
CITY_CADRES = 100_000
DEFAULT_PASSWORD = "demo-12345"
DEFAULT_SEED = 20240701
AUDIT_REASON = "生成演示数据"

# ---------------------------------------------------------------- the org tree

CITY_DEPARTMENTS = [
    ("市委组织部", "bu"),
    ("市发展和改革委员会", "wei"),
    ("市财政局", "ju"),
    ("市教育局", "ju"),
    ("市农业农村局", "ju"),
    ("市住房和城乡建设局", "ju"),
    ("市自然资源和规划局", "ju"),
    ("市卫生健康委员会", "wei"),
]
COUNTY_DEPARTMENTS = [
    ("委组织部", "bu"),
    ("发展和改革局", "ju"),
    ("财政局", "ju"),
    ("教育局", "ju"),
    ("农业农村局", "ju"),
    ("住房和城乡建设局", "ju"),
    ("乡村振兴局", "ju"),
    ("卫生健康局", "ju"),
]
# (code, name, home area code of ID numbers, townships); the first three townships of each
# county get villages / communities.
COUNTIES = [
    (
        "JZ01",
        "东岭县",
        "430121",
        ["城关镇", "东岭镇", "白沙镇", "青山镇", "石门镇", "桃源镇", "龙口镇", "清溪乡", "梅岭乡", "大坪乡"],
    ),
    (
        "JZ02",
        "西川县",
        "430122",
        ["西川镇", "河口镇", "黄土镇", "金塘镇", "柳林镇", "长乐镇", "凤凰乡", "双江乡", "高坪乡", "花桥乡"],
    ),
    (
        "JZ03",
        "南湖区",
        "360121",
        [
            "南湖街道",
            "湖滨街道",
            "望月街道",
            "新华街道",
            "东风街道",
            "莲塘镇",
            "湘湖镇",
            "白鹭镇",
            "鹤山乡",
            "石塘乡",
        ],
    ),
]
# The province's cities after 江州市 (code, name), and the names of their counties: each city
# has three, built like 江州市's (the same townships and area codes, the third a 区 of 街道).
PROVINCE_CITIES = [
    ("QZ", "清州市"),
    ("YZ", "云州市"),
    ("LZ", "临州市"),
    ("AZ", "安州市"),
    ("NZ", "宁州市"),
    ("PZ", "平州市"),
    ("XZ", "兴州市"),
    ("MZ", "明州市"),
    ("HZ", "禾州市"),
    ("SZ", "顺州市"),
    ("TZ", "泰州市"),
    ("WZ", "文州市"),
    ("GZ", "桂州市"),
    ("RZ", "瑞州市"),
    ("FZ", "丰州市"),
]
COUNTY_NAME_STEMS = [
    "北山",
    "云溪",
    "青石",
    "长宁",
    "安平",
    "清江",
    "白云",
    "石城",
    "龙泉",
    "丰乐",
    "永和",
    "华阳",
    "临河",
    "金川",
    "宝山",
    "柳江",
    "新田",
    "桂阳",
    "双峰",
    "平川",
    "湘阴",
    "宁远",
    "安化",
    "茶陵",
    "汝城",
    "会同",
    "溆浦",
    "凤凰",
    "古丈",
    "保靖",
    "花垣",
    "沅陵",
    "辰溪",
    "麻阳",
    "芷江",
    "靖安",
    "松滋",
    "枝江",
    "宜都",
    "当阳",
    "远安",
    "兴山",
]
VILLAGE_NAMES = [
    "红星",
    "新民",
    "太平",
    "和平",
    "枫树",
    "杨柳",
    "石桥",
    "光明",
    "长岭",
    "团结",
    "水口",
    "荷塘",
]
COMMUNITY_NAMES = ["南苑", "湖光", "锦绣", "幸福里", "望月", "滨江", "建设路", "文化路", "丽景"]
VILLAGES_PER_TOWNSHIP = 3
TOWNSHIPS_WITH_VILLAGES = 3
# Area codes of people born elsewhere; all valid for every birth year the demo uses.
OTHER_AREA_CODES = ["510121", "510122", "340121", "360122"]

PROJECTS = [
    "江州高新区重大项目建设指挥部",
    "沪昆高铁江州段建设指挥部",
    "江州港综合物流园建设指挥部",
    "东岭县工业园区项目建设专班",
    "西川县城乡供水一体化工程指挥部",
    "南湖区老旧小区改造项目专班",
]
PROJECT_TITLES = ["项目专班成员", "指挥部综合组副组长", "驻项目工作组成员", "征拆协调组组长"]

# ---------------------------------------------------------------- people

# Common surnames with their approximate share (per mille) of the population.
SURNAME_TABLE = (
    "王71 李70 张67 刘54 陈45 杨31 黄21 赵20 吴18 周17 徐13 孙12 马11 朱11 胡10 郭10 何9 高9 林9 "
    "罗8 郑8 梁7 谢6 宋6 唐6 许6 韩6 冯6 邓5 曹5 彭5 曾5 肖5 田5 董5 袁5 潘5 于4 蒋4 蔡4 余4 "
    "杜4 叶4 程4 苏4 魏4 吕4 丁3 任3 沈3 姚3 卢3 姜3 崔3 钟3 谭3 陆3 汪2 范2 金2 石2 廖2 贾2 "
    "夏2 韦2 付2 方2 白1 邹1 孟1 熊1 秦1 邱1 江1 尹1 薛1 闫1 段1 雷1 侯1 龙1 史1 陶1 黎1 贺1 "
    "顾1 毛1 郝1 龚1 邵1 万1 钱1 严1 覃1 武1 戴1 莫1 孔1 向1 汤1 欧阳1"
)
_SURNAMES = re.findall(r"(\D+?)(\d+)", SURNAME_TABLE.replace(" ", ""))
SURNAME_LIST = [name for name, _ in _SURNAMES]
SURNAME_CUM_WEIGHTS = list(itertools.accumulate(int(share) for _, share in _SURNAMES))
MALE_CHARS = (
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林洋建国志文海峰东亮成新兵德永振家良荣庆卫忠兴松"
)
FEMALE_CHARS = "芳娜敏静丽艳娟霞燕玲桂英秀兰萍红梅琳婷雪慧倩莉颖洁琴云莲欣晶佳悦丹蓉薇雯瑶怡月"
SHARED_CHARS = "文明晓春海小建永佳思子嘉雨新立泽"
ETHNICITIES = ["汉族", "土家族", "苗族", "回族", "壮族", "侗族", "瑶族"]
ETHNICITY_CUM_WEIGHTS = list(itertools.accumulate([930, 25, 20, 10, 5, 5, 5]))

SCHOOLS = {
    EducationLevel.POSTGRADUATE: [
        "湖南大学",
        "中南大学",
        "湖南师范大学",
        "南昌大学",
        "中共湖南省委党校",
        "武汉大学",
    ],
    EducationLevel.BACHELOR: [
        "湖南大学",
        "湘潭大学",
        "湖南师范大学",
        "湖南农业大学",
        "南昌大学",
        "江西师范大学",
        "西南大学",
        "华中师范大学",
        "长沙理工大学",
        "中共湖南省委党校",
    ],
    EducationLevel.COLLEGE: [
        "湖南广播电视大学",
        "江州职业技术学院",
        "湖南工业职业技术学院",
        "长沙民政职业技术学院",
    ],
    EducationLevel.SECONDARY: ["江州市农业学校", "江州师范学校", "江州财经学校"],
    EducationLevel.HIGH_SCHOOL: ["江州市第一中学", "东岭县第一中学", "西川县第二中学", "南湖区实验中学"],
}
MAJORS = {
    EducationLevel.POSTGRADUATE: ["公共管理", "法律", "农业推广", "工商管理", "马克思主义理论"],
    EducationLevel.BACHELOR: [
        "行政管理",
        "汉语言文学",
        "法学",
        "经济学",
        "会计学",
        "农学",
        "计算机科学与技术",
        "土木工程",
        "思想政治教育",
        "农林经济管理",
    ],
    EducationLevel.COLLEGE: ["行政管理", "文秘", "会计", "农业经济管理", "法律事务", "计算机应用技术"],
    EducationLevel.SECONDARY: ["农学", "财会", "师范"],
    EducationLevel.HIGH_SCHOOL: [""],
}
DEGREE = {EducationLevel.POSTGRADUATE: "硕士", EducationLevel.BACHELOR: "学士"}
STUDY_YEARS = {
    EducationLevel.POSTGRADUATE: 3,
    EducationLevel.BACHELOR: 4,
    EducationLevel.COLLEGE: 3,
    EducationLevel.SECONDARY: 3,
    EducationLevel.HIGH_SCHOOL: 3,
}
# Age at work start after a full-time education of this level: (min, max).
WORK_START_AGE = {
    EducationLevel.BACHELOR: (21, 24),
    EducationLevel.COLLEGE: (20, 23),
    EducationLevel.SECONDARY: (18, 21),
    EducationLevel.HIGH_SCHOOL: (18, 20),
}
FIRST_LEVEL_WEIGHTS = {
    "leader": {EducationLevel.BACHELOR: 70, EducationLevel.COLLEGE: 25, EducationLevel.SECONDARY: 5},
    "general": {EducationLevel.BACHELOR: 60, EducationLevel.COLLEGE: 32, EducationLevel.SECONDARY: 8},
    "village": {
        EducationLevel.HIGH_SCHOOL: 45,
        EducationLevel.SECONDARY: 20,
        EducationLevel.COLLEGE: 25,
        EducationLevel.BACHELOR: 10,
    },
}
UPGRADE = {
    EducationLevel.HIGH_SCHOOL: EducationLevel.COLLEGE,
    EducationLevel.SECONDARY: EducationLevel.COLLEGE,
    EducationLevel.COLLEGE: EducationLevel.BACHELOR,
    EducationLevel.BACHELOR: EducationLevel.POSTGRADUATE,
}

# ---------------------------------------------------------------- users

USERS = [
    # username, role, unit code (None: whole system), display name
    ("admin", None, None, "系统管理员"),
    ("zzb_staff", Role.STAFF, CITY_CODE, "市委组织部干部科"),
    ("zzb_head", Role.HEAD, CITY_CODE, "市委组织部分管副部长"),
    ("jijian", Role.AUDITOR, CITY_CODE, "市纪委监委"),
    ("api_reader", Role.API_READER, CITY_CODE, "省干部数据平台"),
    *(
        (f"county{i}_admin", Role.COUNTY_ADMIN, code, f"{name}委组织部")
        for i, (code, name, _, _) in enumerate(COUNTIES, start=1)
    ),
]
# ---------------------------------------------------------------- generation


@dataclass
class CitySpec:
    code: str
    name: str
    counties: list  # (code, name, home area code, townships), as COUNTIES


CITY = CitySpec(CITY_CODE, CITY_NAME, COUNTIES)


def province_cities(cadres: int) -> list[tuple[CitySpec, int]]:
    """The province's cities and how many cadres each gets: 江州市 first, then as many more as
    make cities of about ``CITY_CADRES`` (the last ones take what is left over)."""
    count = min(max(2, round(cadres / CITY_CADRES)), 1 + len(PROVINCE_CITIES))
    specs = [CITY]
    for i, (code, name) in enumerate(PROVINCE_CITIES[: count - 1]):
        counties = []
        for j, (_, _, area, townships) in enumerate(COUNTIES):
            stem = COUNTY_NAME_STEMS[(3 * i + j) % len(COUNTY_NAME_STEMS)]
            counties.append((f"{code}{j + 1:02d}", stem + ("区" if j == 2 else "县"), area, townships))
        specs.append(CitySpec(code, name, counties))
    share, extra = divmod(cadres, count)
    return [(spec, share + (1 if i < extra else 0)) for i, spec in enumerate(specs)]


@dataclass
class DemoUnit:
    id: int
    path: str
    code: str
    name: str
    kind: str
    style: str  # bu / wei / ju for departments; zhen / xiang / jiedao; cun / shequ; county / city
    level: str  # city or county: which level the unit belongs to
    county: str = ""  # name of the county ("" for city level)


@dataclass
class Slot:
    """One cadre to generate: where, what, and (for team members) the team role."""

    unit: DemoUnit
    kind: str
    rank: str
    title: str
    age: tuple[int, int]
    post_kind: str = PostKind.REGULAR
    team_title: str = ""
    main: bool = False
    order: int = 0
    status: str | None = None
    post_unit: DemoUnit | None = None  # current post elsewhere (第一书记)
    post_unit_name: str = ""
    party: bool | None = None  # True: must be a party member


@dataclass
class Generated:
    cadres: list = field(default_factory=list)
    educations: list = field(default_factory=list)
    posts: list = field(default_factory=list)
    team: list = field(default_factory=list)


def demo_present() -> bool:
    return Unit.objects.filter(code=CITY_CODE).exists()


def seed_demo(*, cadres: int = 2000, seed: int = DEFAULT_SEED, password: str = DEFAULT_PASSWORD) -> dict:
    """Build the demo city unless it exists; (re)set the demo users either way.

    Returns {"created": bool, "counts": {...}, "users": [(username, role label, unit name)]}.
    """
    with transaction.atomic():
        created = False
        counts: dict[str, int] = {}
        if not demo_present():
            minimum = minimum_cadres()
            if cadres < minimum:
                raise ValueError(f"演示数据至少需要 {minimum} 名干部（每个班子至少3人）。")
            counts = _build(cadres=cadres, seed=seed)
            created = True
        users = ensure_users(password)
    return {"created": created, "counts": counts, "users": users}


def minimum_cadres() -> int:
    """Smallest city: teams of three everywhere, a secretary per village, a few others."""
    townships = sum(len(t) for *_, t in COUNTIES)
    teams = len(COUNTIES) * (1 + len(COUNTY_DEPARTMENTS)) + townships + len(CITY_DEPARTMENTS)
    villages = len(COUNTIES) * TOWNSHIPS_WITH_VILLAGES * VILLAGES_PER_TOWNSHIP
    return teams * 3 + villages + 20


def ensure_users(password: str) -> list[tuple[str, str, str]]:
    """Create the demo users or reset their password, role and unit."""
    users = USERS
    if Unit.objects.filter(code=PROVINCE_CODE).exists():
        # The province demo: the city's organization department becomes the province's, so
        # its users (and the demo steps acting as them) reach every city; the county admins
        # stay with 江州市's counties.
        users = [
            (name, role, PROVINCE_CODE if code == CITY_CODE else code, display.replace("市", "省", 1))
            for name, role, code, display in USERS
        ]
    units = {u.code: u for u in Unit.objects.filter(code__in={code for _, _, code, _ in users if code})}
    # One hash for all demo users: PBKDF2 is slow on purpose, and they share the password.
    hashed = make_password(password)
    out = []
    for username, role, code, display in users:
        unit = units[code] if code else None
        user = User.objects.filter(username=username).first() or User(username=username)
        user.password = hashed
        user.display_name = display
        user.unit = unit
        user.is_active = True
        user.is_superuser = user.is_staff = role is None
        user.role = role or Role.STAFF
        user.save()
        out.append(
            (username, "超级管理员" if role is None else Role(role).label, unit.name if unit else "全部")
        )
    return out


def _build(*, cadres: int, seed: int) -> dict[str, int]:
    batch = new_batch_id("seed")
    if connection.vendor == "postgresql":
        # Check foreign keys row by row during COPY, while Python is still producing rows,
        # instead of all at once at commit (seconds at 100k). Lasts until seed_demo's
        # transaction ends.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    if cadres < PROVINCE_MIN_CADRES:
        return _build_city(CITY, cadres, random.Random(seed), batch)
    root = Unit.objects.add_root(
        create_kwargs={"code": PROVINCE_CODE, "name": PROVINCE_NAME, "kind": UnitKind.PROVINCE}
    )
    audit_record_bulk(
        actor=None,
        changes=[Change(AuditAction.CREATE, root, after=snapshot(root), scope_path=root.path)],
        batch=batch,
        reason=AUDIT_REASON,
    )
    totals = {"units": 1}
    shared = _Shared()
    for i, (spec, count) in enumerate(province_cities(cadres)):
        # a generator per city, seeded by the city's place, so each city is what it is
        # whatever the number of cities after it
        counts = _build_city(spec, count, random.Random(seed * 1000 + i), batch, parent=root, shared=shared)
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
    return totals


@dataclass
class _Shared:
    """What the cities of a province share: the ID numbers handed out, the valid area codes."""

    used_ids: set = field(default_factory=set)
    valid_areas: dict | None = None


def _build_city(
    spec: CitySpec,
    cadres: int,
    rng: random.Random,
    batch: str,
    parent: Unit | None = None,
    shared: _Shared | None = None,
) -> dict[str, int]:
    """One city: its units, then its cadres (written as they are generated; their educations
    and posts pile up meanwhile and are written after them), teams and audit entries."""
    units = _build_tree(batch, spec, parent)
    gen = _Generator(rng, units, timezone.localdate(), spec.counties, shared)
    data = Generated()
    bulk_insert(Cadre, gen.generate(cadres, data), fields=CADRE_FIELDS)
    gen.assign_child_ids(data)
    _write(data, units, batch)
    return {
        "units": len(units),
        "cadres": len(data.cadres),
        "educations": len(data.educations),
        "posts": len(data.posts),
        "team_members": len(data.team),
    }


def _build_tree(batch: str, spec: CitySpec = CITY, parent: Unit | None = None) -> list[DemoUnit]:
    """A city's hundred-odd units through treebeard's API (under ``parent``, else as a root);
    audited in one bulk insert."""
    made: list[tuple[Unit, str, str, str]] = []

    def add(parent: Unit | None, code: str, name: str, kind: str, style: str, level: str, county: str = ""):
        kwargs = {"code": code, "name": name, "kind": kind}
        if parent is None:
            unit = Unit.objects.add_root(create_kwargs=kwargs)
        else:
            # treebeard wants a fresh copy of the parent (numchild changes as we add).
            unit = Unit.objects.add_child(Unit.objects.get(pk=parent.pk), create_kwargs=kwargs)
        made.append((unit, style, level, county))
        return unit

    city = add(parent, spec.code, spec.name, UnitKind.CITY, "city", "city")
    for i, (name, style) in enumerate(CITY_DEPARTMENTS, start=1):
        add(city, f"{spec.code}B{i:02d}", f"{spec.name[:-1]}{name}", UnitKind.DEPARTMENT, style, "city")
    for code, cname, _area, townships in spec.counties:
        county = add(city, code, cname, UnitKind.COUNTY, "county", "county", cname)
        for i, (name, style) in enumerate(COUNTY_DEPARTMENTS, start=1):
            add(county, f"{code}B{i:02d}", f"{cname}{name}", UnitKind.DEPARTMENT, style, "county", cname)
        for i, tname in enumerate(townships, start=1):
            style = "jiedao" if tname.endswith("街道") else ("xiang" if tname.endswith("乡") else "zhen")
            town = add(county, f"{code}{i:02d}", tname, UnitKind.TOWNSHIP, style, "county", cname)
            if i <= TOWNSHIPS_WITH_VILLAGES:
                names = COMMUNITY_NAMES if style == "jiedao" else VILLAGE_NAMES
                for j in range(VILLAGES_PER_TOWNSHIP):
                    vname = names[(i * VILLAGES_PER_TOWNSHIP + j + len(code)) % len(names)]
                    vstyle = "shequ" if style == "jiedao" else "cun"
                    full = f"{vname}社区" if vstyle == "shequ" else f"{vname}村"
                    add(town, f"{code}{i:02d}{j + 1:02d}", full, UnitKind.VILLAGE, vstyle, "county", cname)

    # Reload: paths of earlier units may not move, but numchild did.
    fresh = {u.pk: u for u in Unit.objects.filter(pk__in=[u.pk for u, *_ in made])}
    audit_record_bulk(
        actor=None,
        changes=[
            Change(AuditAction.CREATE, fresh[u.pk], after=snapshot(fresh[u.pk]), scope_path=fresh[u.pk].path)
            for u, *_ in made
        ],
        batch=batch,
        reason=AUDIT_REASON,
    )
    return [
        DemoUnit(u.pk, fresh[u.pk].path, u.code, u.name, u.kind, style, level, county)
        for u, style, level, county in made
    ]


# Team titles: (main leader, then members in order of seniority) with their ranks.
def _team_titles(unit: DemoUnit) -> list[tuple[str, str]]:
    if unit.style == "county":
        ch = "区" if unit.name.endswith("区") else "县"
        return [
            (f"{ch}委书记", Rank.ZHENG_CHU),
            (f"{ch}长", Rank.ZHENG_CHU),
            (f"{ch}委副书记", Rank.FU_CHU),
            (f"常务副{ch}长", Rank.FU_CHU),
            (f"副{ch}长", Rank.FU_CHU),
            (f"副{ch}长", Rank.FU_CHU),
        ]
    if unit.kind == UnitKind.DEPARTMENT:
        head = {"bu": "部长", "wei": "主任", "ju": "局长"}[unit.style]
        top, deputy = (Rank.ZHENG_CHU, Rank.FU_CHU) if unit.level == "city" else (Rank.ZHENG_KE, Rank.FU_KE)
        first = "常务副部长" if unit.style == "bu" else f"副{head}"
        return [(head, top), (first, deputy)] + [(f"副{head}", deputy)] * 4
    chief = {"zhen": "镇长", "xiang": "乡长", "jiedao": "办事处主任"}[unit.style]
    deputy = {"zhen": "副镇长", "xiang": "副乡长", "jiedao": "办事处副主任"}[unit.style]
    congress = "人大工委主任" if unit.style == "jiedao" else "人大主席"
    return [
        ("党委书记", Rank.ZHENG_KE),
        (chief, Rank.ZHENG_KE),
        ("党委副书记", Rank.FU_KE),
        (congress, Rank.ZHENG_KE),
        (deputy, Rank.FU_KE),
        ("纪委书记", Rank.FU_KE),
    ]


CITY_OFFICES = {
    "bu": ["办公室", "组织科", "干部一科", "干部二科", "干部监督科", "考核办"],
    "wei": ["办公室", "综合科", "规划科", "政策法规科", "人事科"],
    "ju": ["办公室", "综合科", "财务科", "政策法规科", "人事科"],
}
COUNTY_OFFICES = {
    "bu": ["办公室", "组织股", "干部股", "干部监督股"],
    "ju": ["办公室", "计划股", "财务股", "人事股", "法规股"],
}
TOWNSHIP_OFFICES = [
    "党政综合办公室",
    "党建工作办公室",
    "经济发展办公室",
    "社会事务办公室",
    "综合行政执法队",
    "便民服务中心",
    "农业综合服务中心",
]
VILLAGE_TITLES = {
    "cun": [
        ("村委会委员", 40),
        ("村党支部副书记", 10),
        ("村务监督委员会主任", 8),
        ("村文书", 15),
        ("村委会主任", 7),
    ],
    "shequ": [("社区居委会委员", 40), ("社区党委副书记", 10), ("社区网格员", 30), ("社区居委会主任", 7)],
}


class _Generator:
    def __init__(
        self,
        rng: random.Random,
        units: list[DemoUnit],
        today: datetime.date,
        counties: list = COUNTIES,
        shared: _Shared | None = None,
    ):
        self.rng = rng
        self.today = today
        self.units = units
        self.by_kind: dict[str, list[DemoUnit]] = {}
        for u in units:
            self.by_kind.setdefault(u.kind, []).append(u)
        self.departments = self.by_kind[UnitKind.DEPARTMENT]
        self.city_departments = [u for u in self.departments if u.level == "city"]
        self.county_departments = [u for u in self.departments if u.level == "county"]
        self.townships = self.by_kind[UnitKind.TOWNSHIP]
        self.villages = self.by_kind.get(UnitKind.VILLAGE, [])
        self.township_ids = {u.id for u in self.townships}
        self.counties = self.by_kind[UnitKind.COUNTY]
        county_area = {name: area for _, name, area, _ in counties}
        self.home_area = {u.id: county_area.get(u.county, "430121") for u in units}
        if shared is None:
            self.used_ids = set(Cadre.objects.values_list("id_number", flat=True))
            self.valid_areas = self._valid_areas()
        else:  # a city of the province: the numbers of the cities before it are in the set
            self.used_ids = shared.used_ids
            if shared.valid_areas is None:
                shared.valid_areas = self._valid_areas()
            self.valid_areas = shared.valid_areas
        self.digest = idnumber.digester()
        self.village_of_township = {}
        for v in self.villages:
            town = next(t for t in self.townships if v.path.startswith(t.path))
            self.village_of_township.setdefault(town.id, []).append(v)

    def _valid_areas(self) -> dict[int, list[str]]:
        """Area codes python-stdnum accepts for each birth year (it checks the code existed)."""
        valid: dict[int, list[str]] = {}
        codes = sorted({area for _, _, area, _ in COUNTIES} | set(OTHER_AREA_CODES))
        for year in range(self.today.year - 62, self.today.year - 20):
            for code in codes:
                try:
                    idnumber.validate(idnumber.make(code, datetime.date(year, 6, 15), 1))
                except idnumber.IdNumberError:
                    continue
                valid.setdefault(year, []).append(code)
        return valid

    # ------------------------------------------------------------ slots

    def slots(self, total: int) -> list[Slot]:
        rng = self.rng
        team_units = self.counties + self.departments + self.townships
        team_budget = total * 0.35
        # Teams of 3..6 (main leader and 2..5 members) when there are enough cadres.
        sizes = [rng.randint(3, 6) for _ in team_units]
        if sum(sizes) > team_budget:
            sizes = [3] * len(team_units)
        out: list[Slot] = []
        for unit, size in zip(team_units, sizes, strict=True):
            titles = _team_titles(unit)
            chu = unit.kind == UnitKind.COUNTY or unit.level == "city"
            for order in range(size):
                title, rank = titles[order]
                if chu:
                    age = (46, 57) if order == 0 else (40, 57)
                else:
                    age = (36, 54) if order == 0 else (30, 56)
                post_kind = PostKind.REGULAR
                if unit.kind == UnitKind.TOWNSHIP and order <= 1:
                    post_kind = PostKind.TOWNSHIP_PRINCIPAL
                out.append(
                    Slot(
                        unit=unit,
                        kind=CadreKind.LEADER_CHU if chu else CadreKind.LEADER_KE,
                        rank=rank,
                        title=title,
                        age=age,
                        post_kind=post_kind,
                        team_title=title,
                        main=order == 0,
                        order=order,
                        status=CadreStatus.ON_POST,
                        party=True if order <= 2 else None,
                    )
                )
        # Each village and community has a party secretary.
        for v in self.villages:
            title = "社区党委书记" if v.style == "shequ" else "村党支部书记"
            out.append(Slot(v, CadreKind.VILLAGE, Rank.NONE, title, (35, 60), party=True))
        rest = max(total - len(out), 0)
        for _ in range(rest):
            r = rng.random()
            if r < 0.05:
                out.append(self._ke_slot())
            elif r < 0.27:
                out.append(self._village_slot())
            else:
                out.append(self._general_slot())
        return out[:total]

    def _ke_slot(self) -> Slot:
        rng = self.rng
        unit = rng.choice(self.city_departments)
        office = rng.choice(CITY_OFFICES[unit.style])
        if office == "考核办":
            title, rank = rng.choice([("考核办主任", Rank.ZHENG_KE), ("考核办副主任", Rank.FU_KE)])
        elif office == "办公室":
            title, rank = rng.choice([("办公室主任", Rank.ZHENG_KE), ("办公室副主任", Rank.FU_KE)])
        else:
            title, rank = rng.choice([(f"{office}科长", Rank.ZHENG_KE), (f"{office}副科长", Rank.FU_KE)])
        return Slot(unit, CadreKind.LEADER_KE, rank, title, (30, 58))

    def _village_slot(self) -> Slot:
        rng = self.rng
        if self.villages and rng.random() < 0.7:
            unit = rng.choice(self.villages)
            title = _weighted(rng, VILLAGE_TITLES[unit.style])
            return Slot(unit, CadreKind.VILLAGE, Rank.NONE, title, (24, 60))
        # Townships without village units keep their village cadres on the township's roll.
        unit = rng.choice(self.townships)
        style = "shequ" if unit.style == "jiedao" else "cun"
        title = _weighted(rng, VILLAGE_TITLES[style])
        names = COMMUNITY_NAMES if style == "shequ" else VILLAGE_NAMES
        place = rng.choice(names) + ("社区" if style == "shequ" else "村")
        return Slot(unit, CadreKind.VILLAGE, Rank.NONE, title, (24, 60), post_unit_name=f"{unit.name}{place}")

    def _general_slot(self) -> Slot:
        rng = self.rng
        r = rng.random()
        if r < 0.5:
            unit = rng.choice(self.townships)
            office = rng.choice(TOWNSHIP_OFFICES)
            title = office + ("队员" if office.endswith("队") else "科员")
        elif r < 0.85:
            unit = rng.choice(self.county_departments)
            title = rng.choice(COUNTY_OFFICES.get(unit.style, COUNTY_OFFICES["ju"])) + "科员"
        else:
            unit = rng.choice(self.city_departments)
            title = rng.choice(CITY_OFFICES[unit.style]) + "科员"
        slot = Slot(unit, CadreKind.GENERAL, "", title, (22, 59))
        s = rng.random()
        if s < 0.025:
            slot.status, slot.age = CadreStatus.RETIRED, (58, 60)
        elif s < 0.05:
            slot.status, slot.age = CadreStatus.NON_LEADING, (50, 59)
            slot.rank = rng.choice([Rank.LEVEL_1_CLERK, Rank.LEVEL_2_CLERK])
            slot.title = "一级主任科员" if slot.rank == Rank.LEVEL_1_CLERK else "二级主任科员"
        elif s < 0.065:
            slot.status = CadreStatus.RECALLED
        elif s < 0.085:
            slot.status = CadreStatus.FRONTLINE
        elif s < 0.095:
            slot.status = CadreStatus.AWAITING
        elif s < 0.105:
            slot.status = CadreStatus.REMOVED
        elif s < 0.11:
            slot.status = CadreStatus.DISMISSED
        elif s < 0.14 and unit.kind == UnitKind.DEPARTMENT and self.villages:
            # Currently sent to a village as 驻村第一书记.
            village = rng.choice(self.villages)
            slot.title, slot.post_kind, slot.post_unit, slot.party = (
                "驻村第一书记",
                PostKind.FIRST_SECRETARY,
                village,
                True,
            )
            slot.age = (28, 52)
        return slot

    # ------------------------------------------------------------ people

    def generate(self, total: int, out: Generated):
        """Yield cadre rows (CADRE_FIELDS order); their children are collected in ``out``."""
        ids = reserve_pks(Cadre, total)
        for pk, slot in zip(ids, self.slots(total), strict=False):
            self._cadre(pk, slot, out)
            yield out.cadres[-1]

    def assign_child_ids(self, out: Generated) -> None:
        edu_ids = reserve_pks(Education, len(out.educations))
        for row, pk in zip(out.educations, edu_ids, strict=True):
            row[0] = pk
        post_ids = reserve_pks(PostRecord, len(out.posts))
        for row, pk in zip(out.posts, post_ids, strict=True):
            row[0] = pk
        team_ids = reserve_pks(TeamMembership, len(out.team))
        for row, pk in zip(out.team, team_ids, strict=True):
            row[0] = pk

    def _birth(self, lo: int, hi: int) -> datetime.date:
        today = self.today
        first = _add_years(today, -(hi + 1)).toordinal() + 1
        last = _add_years(today, -lo).toordinal()
        return datetime.date.fromordinal(self.rng.randint(first, last))

    def _id_number(self, unit: DemoUnit, born: datetime.date, male: bool) -> str:
        rng = self.rng
        areas = self.valid_areas[born.year]
        home = self.home_area[unit.id]
        while True:
            area = home if (home in areas and rng.random() < 0.8) else rng.choice(areas)
            seq = rng.randrange(1 if male else 0, 1000, 2)
            number = idnumber.make(area, born, seq)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def _name(self, male: bool) -> str:
        rng = self.rng
        surname = rng.choices(SURNAME_LIST, cum_weights=SURNAME_CUM_WEIGHTS)[0]
        own = MALE_CHARS if male else FEMALE_CHARS
        if rng.random() < 0.3:
            return surname + rng.choice(own)
        first, second = rng.choice(own + SHARED_CHARS), rng.choice(own)
        if first == second and (male or rng.random() < 0.5):  # 婷婷 yes, 永永 no
            second = rng.choice(own.replace(first, ""))
        return surname + first + second

    def _cadre(self, pk: int, slot: Slot, out: Generated) -> None:
        rng = self.rng
        today = self.today
        leader = slot.kind in (CadreKind.LEADER_CHU, CadreKind.LEADER_KE)
        village = slot.kind == CadreKind.VILLAGE
        male_share = 0.8 if leader else (0.6 if village else 0.55)
        male = rng.random() < male_share
        born = self._birth(*slot.age)
        age = _age(born, today)

        # Education first: it decides when work started.
        weights = FIRST_LEVEL_WEIGHTS["leader" if leader else ("village" if village else "general")]
        levels = [lv for lv in weights if WORK_START_AGE[lv][0] <= age - 1]
        level = rng.choices(levels, [weights[lv] for lv in levels])[0]
        lo, hi = WORK_START_AGE[level]
        ws_age = rng.randint(lo, min(hi, age - 1))
        latest = today - datetime.timedelta(days=366)
        work_start = _add_years(born, ws_age) + datetime.timedelta(days=rng.randint(0, 300))
        if work_start > latest:
            work_start = latest
        educations = self._educations(pk, born, work_start, level, leader, ws_age)
        out.educations.extend(educations)

        # Party membership.
        if slot.party or (leader and rng.random() < 0.95):
            political = PoliticalStatus.CPC
        else:
            r = rng.random()
            if village:
                political = PoliticalStatus.CPC if r < 0.7 else PoliticalStatus.MASSES
            elif r < 0.62:
                political = PoliticalStatus.CPC
            elif r < 0.65:
                political = PoliticalStatus.PROBATIONARY
            elif r < 0.68:
                political = PoliticalStatus.DEMOCRATIC
            elif r < 0.8 and age <= 28:
                political = PoliticalStatus.LEAGUE
            else:
                political = PoliticalStatus.MASSES
        party_join = None
        adult = _add_years(born, 18)
        if political == PoliticalStatus.PROBATIONARY:
            party_join = today - datetime.timedelta(days=rng.randint(30, 330))
            if party_join < adult:
                political, party_join = PoliticalStatus.LEAGUE if age <= 28 else PoliticalStatus.MASSES, None
        elif political == PoliticalStatus.CPC:
            first = max(adult, work_start - datetime.timedelta(days=3 * 365)).toordinal()
            last = (today - datetime.timedelta(days=400)).toordinal()
            party_join = datetime.date.fromordinal(rng.randint(first, max(first, last)))

        # Status and rank.
        status = slot.status
        if status is None:
            r = rng.random()
            status = CadreStatus.ON_POST
            if r < 0.02:
                status = CadreStatus.RECALLED
            elif r < 0.03 and not village:
                status = CadreStatus.FRONTLINE
            elif r < 0.04:
                status = CadreStatus.DISMISSED if village else CadreStatus.REMOVED
        rank = slot.rank or self._general_rank(age)

        posts = self._posts(pk, slot, work_start, leader, village)
        out.posts.extend(posts)
        post_start = posts[-1][POST_START]
        township_start = None
        if slot.unit.kind == UnitKind.TOWNSHIP and not village:
            # Start of the unbroken run of township posts that ends in the current one.
            for row in reversed(posts):
                if row[POST_UNIT] not in self.township_ids:
                    break
                township_start = row[POST_START]

        if slot.unit.kind == UnitKind.VILLAGE or village:
            identity = Identity.VILLAGE
        elif slot.unit.style == "bu" or slot.unit.kind == UnitKind.COUNTY:
            identity = Identity.CIVIL_SERVANT
        else:
            identity = rng.choices(
                [Identity.CIVIL_SERVANT, Identity.REFERENCE, Identity.INSTITUTION],
                [75, 10, 15] if leader else [60, 15, 25],
            )[0]

        name = self._name(male)
        ethnicity = rng.choices(ETHNICITIES, cum_weights=ETHNICITY_CUM_WEIGHTS)[0]
        number = self._id_number(slot.unit, born, male)
        out.cadres.append(
            [
                pk,
                slot.unit.id,
                name,
                Gender.MALE if male else Gender.FEMALE,
                ethnicity,
                number,
                born,
                work_start,
                political,
                party_join,
                identity,
                slot.kind,
                rank,
                slot.title,
                post_start,
                status,
                township_start,
                f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
                "",
                _rank_start(pk, rank, work_start, post_start, leader, today),
                None,  # probation_end: the demo's recruits on probation are set by a demo step
                self.digest(number),  # id_number_hash (bulk_insert does not call save())
                self.digest(search.tail_text(number)),  # id_tail_hash (the header search)
                search.name_initials(name),
                idnumber.mask(number),  # id_number_masked
            ]
        )
        if slot.team_title:
            out.team.append([None, slot.unit.id, pk, slot.team_title, slot.main, slot.order])

    def _general_rank(self, age: int) -> str:
        rng = self.rng
        if age < 27:
            return rng.choice([Rank.STAFF, Rank.STAFF, Rank.LEVEL_1_STAFF])
        if age < 35:
            return rng.choice([Rank.STAFF, Rank.LEVEL_1_STAFF, Rank.LEVEL_1_STAFF, Rank.LEVEL_2_CLERK])
        if age < 45:
            return rng.choice(
                [Rank.LEVEL_1_STAFF, Rank.LEVEL_2_CLERK, Rank.LEVEL_2_CLERK, Rank.LEVEL_1_CLERK]
            )
        return rng.choice([Rank.LEVEL_2_CLERK, Rank.LEVEL_1_CLERK, Rank.LEVEL_1_CLERK])

    def _educations(self, pk, born, work_start, level, leader, ws_age) -> list[list]:
        rng = self.rng
        rows = []

        def add(lv, start, end, mode):
            school = rng.choice(SCHOOLS[lv])
            rows.append([None, pk, lv, DEGREE.get(lv, ""), school, rng.choice(MAJORS[lv]), mode, start, end])

        # Graduation in early July, before work started.
        year = work_start.year if work_start >= datetime.date(work_start.year, 7, 10) else work_start.year - 1
        end = datetime.date(year, 7, 1) - datetime.timedelta(days=rng.randint(0, 10))
        years = STUDY_YEARS[level]
        if level == EducationLevel.BACHELOR and ws_age == 24 and rng.random() < 0.4:
            # 本科 then a full-time master's straight after.
            pg_start = datetime.date(end.year - 3, 9, 1)
            bachelor_end = datetime.date(pg_start.year, 6, 30)
            add(level, datetime.date(pg_start.year - 4, 9, 1), bachelor_end, StudyMode.FULL_TIME)
            add(EducationLevel.POSTGRADUATE, pg_start, end, StudyMode.FULL_TIME)
            return rows
        add(level, datetime.date(end.year - years, 9, 1), end, StudyMode.FULL_TIME)
        if rng.random() < (0.45 if leader else 0.2):
            higher = UPGRADE[level]
            start = work_start + datetime.timedelta(days=rng.randint(365, 365 * 8))
            finish = start + datetime.timedelta(days=365 * rng.choice([2, 3]) - 60)
            if finish < self.today:
                add(higher, start, finish, StudyMode.IN_SERVICE)
        return rows

    def _posts(self, pk, slot: Slot, work_start, leader, village) -> list[list]:
        """2–4 posts, contiguous, the last one being the current post (open end)."""
        rng = self.rng
        today = self.today
        # Leaders climbed: at least one junior post before the step below the current one.
        n = rng.choice([3, 4]) if leader else rng.choices([2, 3, 4], [35, 40, 25])[0]
        span = (today - work_start).days
        recent = 8 * 365 if leader else 12 * 365
        current_start = today - datetime.timedelta(days=rng.randint(60, max(61, min(recent, span - 30 * n))))
        if current_start <= work_start:
            current_start = work_start + datetime.timedelta(days=span // 2)
        room = (current_start - work_start).days
        cuts = sorted(rng.sample(range(1, room), min(n - 2, room - 1))) if n > 2 and room > 2 else []
        starts = [work_start] + [work_start + datetime.timedelta(days=c) for c in cuts] + [current_start]
        rows = []
        earlier = len(starts) - 1
        for i in range(earlier):
            unit, unit_name, title, kind = self._earlier_post(slot, i, earlier, leader, village)
            end = starts[i + 1] - datetime.timedelta(days=1)
            rows.append([None, pk, unit, unit_name, title, kind, starts[i], end])
        if slot.post_unit is not None:
            unit, unit_name = slot.post_unit.id, slot.post_unit.name
        elif slot.post_unit_name:
            unit, unit_name = None, slot.post_unit_name
        else:
            unit, unit_name = slot.unit.id, slot.unit.name
        rows.append([None, pk, unit, unit_name, slot.title, slot.post_kind, current_start, None])
        return rows

    def _earlier_post(self, slot: Slot, i: int, earlier: int, leader: bool, village: bool):
        rng = self.rng
        if village:
            unit = slot.unit if slot.unit.kind == UnitKind.VILLAGE else None
            name = slot.unit.name if unit else (slot.post_unit_name or slot.unit.name)
            title = rng.choice(["村民小组长", "村委会委员", "村文书", "村级报账员"])
            return (unit.id if unit else None, name, title, PostKind.REGULAR)
        r = rng.random()
        last = i == earlier - 1
        if r < 0.10 and self.villages:
            v = rng.choice(self.villages)
            return (v.id, v.name, "驻村第一书记", PostKind.FIRST_SECRETARY)
        if r < 0.18:
            return (None, rng.choice(PROJECTS), rng.choice(PROJECT_TITLES), PostKind.PROJECT_FRONTLINE)
        if r < 0.30 and slot.unit.kind != UnitKind.TOWNSHIP:
            t = rng.choice(self.townships)
            return (
                t.id,
                t.name,
                "挂职副镇长" if t.style == "zhen" else "挂职锻炼",
                PostKind.TOWNSHIP_FRONTLINE,
            )
        if leader and last:
            # The step before the current leading post.
            if slot.kind == CadreKind.LEADER_CHU:
                r = rng.random()
                if r < 0.4:
                    t = rng.choice(self.townships)
                    return (t.id, t.name, "党委书记", PostKind.TOWNSHIP_PRINCIPAL)
                if r < 0.7:
                    c = rng.choice(self.counties)
                    return (c.id, c.name, "副区长" if c.name.endswith("区") else "副县长", PostKind.REGULAR)
                d = rng.choice(self.county_departments)
                head = {"bu": "部长", "wei": "主任", "ju": "局长"}[d.style]
                return (d.id, d.name, head, PostKind.REGULAR)
            if slot.unit.kind == UnitKind.TOWNSHIP:
                t = slot.unit if rng.random() < 0.5 else rng.choice(self.townships)
                title = {"zhen": "副镇长", "xiang": "副乡长", "jiedao": "办事处副主任"}[t.style]
                if slot.main:
                    title = {"zhen": "镇长", "xiang": "乡长", "jiedao": "办事处主任"}[t.style]
                    kind = PostKind.TOWNSHIP_PRINCIPAL
                else:
                    kind = PostKind.REGULAR
                return (t.id, t.name, title, kind)
            d = slot.unit if slot.unit.kind == UnitKind.DEPARTMENT else rng.choice(self.departments)
            return (d.id, d.name, rng.choice(["办公室主任", "股长", "副科长"]), PostKind.REGULAR)
        if i == 0 and rng.random() < 0.15:
            school = rng.choice(
                ["东岭县第二中学", "西川县实验小学", "南湖区人民医院", "江州市农业技术推广站"]
            )
            return (None, school, rng.choice(["教师", "技术员", "办事员"]), PostKind.REGULAR)
        if slot.unit.kind == UnitKind.TOWNSHIP or rng.random() < 0.4:
            t = (
                slot.unit
                if slot.unit.kind == UnitKind.TOWNSHIP and rng.random() < 0.6
                else rng.choice(self.townships)
            )
            return (t.id, t.name, rng.choice(TOWNSHIP_OFFICES) + "科员", PostKind.REGULAR)
        d = rng.choice(self.departments)
        return (d.id, d.name, rng.choice(["科员", "办事员", "见习科员"]), PostKind.REGULAR)


def _weighted(rng: random.Random, pairs):
    return rng.choices([p for p, _ in pairs], [w for _, w in pairs])[0]


def _age(born: datetime.date, on: datetime.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


# ---------------------------------------------------------------- writing

# The registry's writable fields (services.CADRE_FIELDS) with the key and the unit by id.
CADRE_FIELDS = [
    "id",
    *(
        "unit_id" if f == "unit" else f
        for f in CADRE_FIELDS_WRITABLE
        if f not in ("rank_start_date", "probation_end")
    ),
    "rank_start_date",  # last: the rows are built in this order, and it came after the others
    "probation_end",
    "id_number_hash",
    "id_tail_hash",
    "name_initials",
    "id_number_masked",
]
EDUCATION_FIELDS = ["id", "cadre_id", "level", "degree", "school", "major", "mode", "start_date", "end_date"]
POST_FIELDS = ["id", "cadre_id", "unit_id", "unit_name", "title", "kind", "start_date", "end_date"]
# Positions in a post row (POST_FIELDS order).
POST_UNIT, POST_START = 2, 6
TEAM_FIELDS = ["id", "unit_id", "cadre_id", "role_title", "is_main_leader", "order"]


def _rank_start(pk, rank, work_start, post_start, leader, today) -> datetime.date | None:
    """任现职级时间: a leader's rank came with the current post; anyone else's some time in the
    last six years after starting work. Worked out from the id, not drawn from the generator,
    so the rest of the demo city stays what it was."""
    if rank == Rank.NONE:
        return None
    if leader and post_start:
        return post_start
    latest = today - datetime.timedelta(days=365)
    first = min(work_start, latest)
    span = min((latest - first).days, 6 * 365)
    return latest - datetime.timedelta(days=(pk * 7919) % (span + 1))


def _snapshot_order(model) -> list[str]:
    """Field names in the order ``audit.services.snapshot`` writes them."""
    return [f.name for f in model._meta.concrete_fields if f.name not in SKIP_FIELDS and not f.primary_key]


def _changes_maker(model, fields: list[str]):
    """A function turning a row (in ``fields`` order) into the ``changes`` of a create entry,
    identical to ``diff(None, snapshot(instance))``."""
    names = {}
    for f in model._meta.concrete_fields:
        names[f.attname] = f.name
        names[f.name] = f.name
    position = {names[name]: i for i, name in enumerate(fields) if name != "id"}
    order = [(name, position[name]) for name in _snapshot_order(model)]

    masks = {f.name: f.audit_value for f in model._meta.concrete_fields if getattr(f, "encrypted", False)}

    def changes(row):
        out = {}
        for name, i in order:
            value = row[i]
            if value is None:
                continue
            if name in masks:  # as snapshot() keeps an encrypted field: masked
                value = masks[name](value)
            if isinstance(value, datetime.date):
                value = value.isoformat()
            out[name] = [None, value]
        return out

    return changes


def _write(data: Generated, units: list[DemoUnit], batch: str) -> None:
    """Children, teams and the audit trail (cadres are already written)."""
    bulk_insert(Education, data.educations, fields=EDUCATION_FIELDS)
    bulk_insert(PostRecord, data.posts, fields=POST_FIELDS)
    bulk_insert(TeamMembership, data.team, fields=TEAM_FIELDS)

    audit_rows_bulk(actor=None, rows=_audit_rows(data, units), batch=batch, reason=AUDIT_REASON)


def _audit_rows(data: Generated, units: list[DemoUnit]):
    """One create entry per object, as ``audit_record_bulk`` would write it (the seed acts as
    the system: no actor)."""
    path_of = {u.id: u.path for u in units}
    name_of = {u.id: u.name for u in units}
    create = AuditAction.CREATE
    cadre_path: dict[int, str] = {}
    cadre_name: dict[int, str] = {}
    changes = _changes_maker(Cadre, CADRE_FIELDS)
    for row in data.cadres:
        pk, path = row[0], path_of[row[1]]
        cadre_path[pk], cadre_name[pk] = path, row[2]
        yield (
            create,
            "cadres.cadre",
            str(pk),
            row[2],
            changes(row),
            pk,
            path,
        )
    changes = _changes_maker(Education, EDUCATION_FIELDS)
    levels = dict(EducationLevel.choices)
    for row in data.educations:
        pk, cadre = row[0], row[1]
        yield (
            create,
            "cadres.education",
            str(pk),
            f"{levels[row[2]]} {row[4]}"[:200],
            changes(row),
            cadre,
            cadre_path[cadre],
        )
    changes = _changes_maker(PostRecord, POST_FIELDS)
    for row in data.posts:
        pk, cadre = row[0], row[1]
        yield (
            create,
            "cadres.postrecord",
            str(pk),
            f"{row[3]} {row[4]}"[:200],
            changes(row),
            cadre,
            cadre_path[cadre],
        )
    changes = _changes_maker(TeamMembership, TEAM_FIELDS)
    for row in data.team:
        pk, unit, cadre = row[0], row[1], row[2]
        yield (
            create,
            "cadres.teammembership",
            str(pk),
            f"{name_of[unit]} {row[3]} {cadre_name[cadre]}"[:200],
            changes(row),
            cadre,
            path_of[unit],
        )
