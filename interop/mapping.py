"""From the files' texts to the registry's values and back: education levels, 政治面貌 from
入党时间, the résumé's lines, school and major, unit and title. Pure functions, no database."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cadres.models import EducationLevel, Gender, PoliticalStatus

from .person import BadDate, Day, parse_day

GENDERS = {"男": Gender.MALE, "女": Gender.FEMALE, "1": Gender.MALE, "2": Gender.FEMALE}
GENDER_TEXT = {Gender.MALE: "男", Gender.FEMALE: "女"}

# 学历 texts, most specific first (研究生 before 大学 before 中专...).
LEVEL_WORDS = [
    (("研究生", "博士", "硕士"), EducationLevel.POSTGRADUATE),
    (("中专", "中等专科", "中技", "技校", "职高", "中等职业"), EducationLevel.SECONDARY),
    (("大学专科", "大专", "专科"), EducationLevel.COLLEGE),
    (("大学本科", "本科", "大学"), EducationLevel.BACHELOR),
    (("高中", "初中", "小学", "中学"), EducationLevel.HIGH_SCHOOL),
]
LEVEL_ORDER = {
    EducationLevel.HIGH_SCHOOL: 0,
    EducationLevel.SECONDARY: 1,
    EducationLevel.COLLEGE: 2,
    EducationLevel.BACHELOR: 3,
    EducationLevel.POSTGRADUATE: 4,
}


def education_level(text: str) -> str | None:
    text = "".join(text.split())
    for words, level in LEVEL_WORDS:
        if any(w in text for w in words):
            return level
    return None


# What 入党时间 holds for someone who is not a member of the CPC.
STATUS_WORDS = {
    "群众": PoliticalStatus.MASSES,
    "无党派": PoliticalStatus.MASSES,
    "无党派人士": PoliticalStatus.MASSES,
    "共青团员": PoliticalStatus.LEAGUE,
    "团员": PoliticalStatus.LEAGUE,
    "民主党派": PoliticalStatus.DEMOCRATIC,
}
DEMOCRATIC_PARTIES = ("民革", "民盟", "民建", "民进", "农工", "致公", "九三", "台盟")
STATUS_TEXT = {
    PoliticalStatus.LEAGUE: "共青团员",
    PoliticalStatus.DEMOCRATIC: "民主党派",
    PoliticalStatus.MASSES: "",
}


@dataclass
class PartyFact:
    status: str
    day: Day | None


def party_fact(text: str) -> PartyFact | None:
    """``None`` when the file says nothing; ``BadDate`` when it is neither a date nor a status."""
    text = (text or "").strip()
    if not text:
        return None
    compact = "".join(text.split())
    if compact in STATUS_WORDS:
        return PartyFact(STATUS_WORDS[compact], None)
    if any(compact.startswith(p) for p in DEMOCRATIC_PARTIES):
        return PartyFact(PoliticalStatus.DEMOCRATIC, None)
    return PartyFact(PoliticalStatus.CPC, parse_day(text))


def ethnicity(text: str) -> str:
    text = "".join(text.split())
    if text and not text.endswith("族") and len(text) <= 3:
        return text + "族"
    return text


# ---------------------------------------------------------------- school and major

SCHOOL_RE = re.compile(r"^(.*?(?:大学|学院|学校|党校|分校|中学|中专|技校|研究院|研究所))(.*)$")


def school_major(text: str) -> tuple[str, str]:
    """``湖南大学行政管理专业`` → (湖南大学, 行政管理)."""
    text = "".join(text.split())
    m = SCHOOL_RE.match(text)
    if not m:
        return text, ""
    school, major = m.group(1), m.group(2)
    if major.endswith("专业"):
        major = major[: -len("专业")]
    return school, major


def school_text(school: str, major: str) -> str:
    return f"{school}{major}专业" if major else school


# ---------------------------------------------------------------- résumé

SEP = r"\s*(?:[-—–~～]{1,2}|至)\s*"
YM = r"(\d{4})\s*[.\-/年．]?\s*(\d{1,2})\s*月?"
LINE_RE = re.compile(rf"^\s*{YM}{SEP}(?:{YM})?\s*(?:至今)?[\s　]*(.*?)\s*$")


@dataclass
class ResumeLine:
    start: Day
    end: Day | None
    text: str


def resume_lines(text: str) -> tuple[list[ResumeLine], list[str]]:
    """The lines that read as ``2010.07--2015.03  XX县XX镇党委副书记`` and the others, as
    they are (continuations such as ``（其间：…）``, headings, lines with impossible dates)."""
    parsed: list[ResumeLine] = []
    other: list[str] = []
    for raw in (text or "").split("\n"):
        line = raw.strip()
        if not line:
            continue
        m = LINE_RE.match(line)
        if m and m.group(5).strip():
            try:
                start = parse_day(f"{m.group(1)}{int(m.group(2)):02d}")
                end = parse_day(f"{m.group(3)}{int(m.group(4)):02d}") if m.group(3) else None
            except (BadDate, ValueError):
                other.append(line)
                continue
            if end is not None and end.date < start.date:
                other.append(line)
                continue
            parsed.append(ResumeLine(start, end, m.group(5).strip()))
        else:
            other.append(line)
    return parsed, other


def resume_line(start, end, text: str) -> str:
    return f"{start:%Y.%m}--{f'{end:%Y.%m}' if end else '':7}  {text}"


# The words a title starts with: the résumé writes unit and title as one text.
TITLE_WORDS = (
    "党委",
    "党组",
    "党工委",
    "纪委",
    "副",
    "书记",
    "主任",
    "镇长",
    "乡长",
    "县长",
    "区长",
    "市长",
    "局长",
    "部长",
    "科长",
    "股长",
    "所长",
    "站长",
    "院长",
    "校长",
    "处长",
    "主席",
    "经理",
    "科员",
    "见习",
    "办事员",
    "干部",
    "委员",
    "调研员",
    "主任科员",
    "挂职",
    "驻村",
    "第一书记",
    "教师",
    "技术员",
    "职员",
    "工作人员",
    "学生",
    "秘书",
    "村民",
    "村委",
    "村文书",
    "村级",
)
TITLE_RE = re.compile("|".join(sorted(map(re.escape, TITLE_WORDS), key=len, reverse=True)))


def split_post(text: str, unit_names: set[str], longest: int) -> tuple[str, str]:
    """(unit name, title) of a résumé text: the longest known unit name it starts with, else
    up to the first word a title starts with; ``("", text)`` when neither is found."""
    for size in range(min(len(text) - 1, longest), 1, -1):
        if text[:size] in unit_names:
            return text[:size], text[size:]
    m = TITLE_RE.search(text, 2)
    if m:
        return text[: m.start()], text[m.start() :]
    return "", text
