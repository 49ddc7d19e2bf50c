"""The 干部任免审批表 as the files carry it, format-neutral: what ``lrmx.read`` and ``lrm.read``
produce and ``lrmx.write`` consumes. Values are the files' texts; dates are read here, leniently
(``yyyyMM``, ``yyyyMMdd``, ``yyyy.MM``, ``yyyy-MM-dd``, ``yyyy年M月``...), each with the precision
the file gave, so a month is never compared as if it were a day.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

# (element, label) in the order of the reference files (xvchaoqun/owip rm.xml, wdy_jfinal_demo).
ELEMENTS = [
    ("XingMing", "姓名"),
    ("XingBie", "性别"),
    ("ChuShengNianYue", "出生年月"),
    ("MinZu", "民族"),
    ("JiGuan", "籍贯"),
    ("ChuShengDi", "出生地"),
    ("RuDangShiJian", "入党时间"),
    ("CanJiaGongZuoShiJian", "参加工作时间"),
    ("JianKangZhuangKuang", "健康状况"),
    ("ZhuanYeJiShuZhiWu", "专业技术职务"),
    ("ShuXiZhuanYeYouHeZhuanChang", "熟悉专业有何专长"),
    ("QuanRiZhiJiaoYu_XueLi", "全日制教育学历"),
    ("QuanRiZhiJiaoYu_XueWei", "全日制教育学位"),
    ("QuanRiZhiJiaoYu_XueLi_BiYeYuanXiaoXi", "全日制教育毕业院校系及专业"),
    ("QuanRiZhiJiaoYu_XueWei_BiYeYuanXiaoXi", "全日制教育学位授予院校"),
    ("ZaiZhiJiaoYu_XueLi", "在职教育学历"),
    ("ZaiZhiJiaoYu_XueWei", "在职教育学位"),
    ("ZaiZhiJiaoYu_XueLi_BiYeYuanXiaoXi", "在职教育毕业院校系及专业"),
    ("ZaiZhiJiaoYu_XueWei_BiYeYuanXiaoXi", "在职教育学位授予院校"),
    ("XianRenZhiWu", "现任职务"),
    ("NiRenZhiWu", "拟任职务"),
    ("NiMianZhiWu", "拟免职务"),
    ("JianLi", "简历"),
    ("JiangChengQingKuang", "奖惩情况"),
    ("NianDuKaoHeJieGuo", "年度考核结果"),
    ("RenMianLiYou", "任免理由"),
    ("JiaTingChengYuan", "家庭主要成员及重要社会关系"),
    ("ChengBaoDanWei", "呈报单位"),
    ("JiSuanNianLingShiJian", "计算年龄时间"),
    ("TianBiaoShiJian", "填表时间"),
    ("TianBiaoRen", "填表人"),
    ("ShenFenZheng", "身份证号"),
    ("ZhaoPian", "照片"),
    ("Version", "版本"),
]
LABELS = dict(ELEMENTS)
FAMILY_ELEMENTS = [
    ("ChengWei", "relation", "称谓"),
    ("XingMing", "name", "姓名"),
    ("ChuShengRiQi", "birth", "出生日期"),
    ("ZhengZhiMianMao", "politics", "政治面貌"),
    ("GongZuoDanWeiJiZhiWu", "work", "工作单位及职务"),
]
LONG_TEXTS = {"JianLi", "JiangChengQingKuang", "NianDuKaoHeJieGuo", "RenMianLiYou"}
VERSION = "3.2.1.6"


def where(element: str) -> str:
    """How an element is named in a problem: ``ShenFenZheng（身份证号）``."""
    label = LABELS.get(element)
    return f"{element}（{label}）" if label else element


@dataclass
class Person:
    """One file: ``values`` by element name (texts, stripped), the family, the photo's bytes."""

    values: dict[str, str] = field(default_factory=dict)
    family: list[dict] = field(default_factory=list)
    photo: bytes | None = None
    unknown: list[str] = field(default_factory=list)  # elements this reader does not know

    def get(self, element: str) -> str:
        return self.values.get(element, "")


@dataclass(frozen=True)
class Day:
    """A date as a file gave it: ``month`` True when the file named no day (then ``date`` is
    the first of the month)."""

    date: datetime.date
    month: bool

    def same(self, other: datetime.date | None) -> bool:
        """Whether a stored date is this one at the file's precision."""
        if other is None:
            return False
        if self.month:
            return (other.year, other.month) == (self.date.year, self.date.month)
        return other == self.date


DATE_RE = re.compile(
    r"^\s*(\d{4})\s*(?:[.\-/年]\s*)?(\d{1,2})\s*(?:月\s*)?(?:(?:[.\-/]\s*)?(\d{1,2})\s*日?)?\s*$"
)
COMPACT_RE = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})?\s*$")


class BadDate(ValueError):
    pass


def parse_day(text: str) -> Day | None:
    """``None`` for an empty text; ``BadDate`` for one that is not a date."""
    text = (text or "").strip()
    if not text:
        return None
    m = COMPACT_RE.match(text) or DATE_RE.match(text)
    if not m:
        raise BadDate(text)
    year, month = int(m.group(1)), int(m.group(2))
    day = m.group(3)
    try:
        return Day(datetime.date(year, month, int(day) if day else 1), month=not day)
    except ValueError:
        raise BadDate(text) from None


def month_text(day: datetime.date | None) -> str:
    return f"{day:%Y%m}" if day else ""


def day_text(day: datetime.date | None) -> str:
    """``yyyyMM`` for the first of a month (how month-precise dates are kept), else ``yyyyMMdd``:
    both are what the reference readers take, and nothing the registry holds is lost."""
    if day is None:
        return ""
    return f"{day:%Y%m}" if day.day == 1 else f"{day:%Y%m%d}"
