"""The header search: cadres by name, pinyin initials (zs → 张三) or ID number, within scope.

Two columns kept by ``Cadre.save`` (and by every bulk writer of cadres) make the lookups
indexed: ``name_initials`` (张三 → "zs") and ``id_tail_hash``, the keyed hash of the ID
number's last six characters, so the last six can be looked up without storing them in clear.
"""

import functools
import re
from dataclasses import dataclass

from django.db.models import QuerySet
from pypinyin import Style, lazy_pinyin

from core.crypto import keyed_hash

from . import idnumber

# pypinyin 0.55 has no surname mode, so a name's reading starts from this table: the common
# surnames whose reading as a surname differs from the character's usual one (单 is dān in
# 单位 but shàn as a surname). Two-character surnames first, as the longer match wins.
SURNAME_INITIALS = {
    "长孙": "zs",
    "单于": "cy",
    "尉迟": "yc",
    "万俟": "mq",
    "澹台": "tt",
    "单": "s",
    "曾": "z",
    "解": "x",
    "查": "z",
    "仇": "q",
    "区": "o",
    "朴": "p",
    "盖": "g",
    "尉": "y",
    "乐": "y",
    "员": "y",
    "种": "c",
    "覃": "q",
    "翟": "z",
    "召": "s",
    "缪": "m",
    "秘": "b",
    "繁": "p",
    "折": "s",
    "句": "g",
    "柏": "b",
    "薄": "b",
    "卜": "b",
    "华": "h",
    "任": "r",
    "宁": "n",
    "郇": "h",
}

ID_LENGTH = 18
TAIL_LENGTH = 6
_ID_CHARS = re.compile(r"^[0-9X]+$")
_LETTERS = re.compile(r"^[a-z]+$")


@functools.lru_cache(maxsize=50_000)
def name_initials(name: str) -> str:
    """张三 → "zs"; surnames read as surnames (单雄信 → "sxx"); anything not Chinese
    (a Latin letter, a dot in a minority name) kept as lower-case letters, the rest dropped."""
    name = "".join((name or "").split())
    head = ""
    for size in (2, 1):
        if name[:size] in SURNAME_INITIALS and len(name) > size:
            head, name = SURNAME_INITIALS[name[:size]], name[size:]
            break
    letters = lazy_pinyin(name, style=Style.FIRST_LETTER, errors=lambda text: list(text))
    rest = "".join(ch for part in letters for ch in part.lower() if "a" <= ch <= "z")
    return (head + rest)[:20]


def tail_text(number: str) -> str:
    """What ``id_tail_hash`` hashes: the normalised number's last six characters, with a prefix
    so a tail's hash can never equal a whole number's."""
    return "tail:" + idnumber.normalize(number)[-TAIL_LENGTH:]


def tail_digest(number: str) -> str:
    if not number:
        return ""
    return keyed_hash(tail_text(number))


@dataclass
class SearchResult:
    kind: str  # "empty" | "id" | "tail" | "initials" | "name" | "refused" | "bad_id"
    cadres: QuerySet | None
    message: str = ""


def cadre_search(user, q: str) -> SearchResult:
    """The cadres in ``user``'s scope that ``q`` finds, and how it was read.

    18 digits (the last may be X) → that ID number; 6 → the last six, only for roles that may
    see ID numbers (others are told so, whether or not such a number exists); other runs of
    digits → a hint; ASCII letters → initials starting with them; anything else → the name
    containing it."""
    from .selectors import cadres_visible_to, unit_label  # models → search at import time

    text = idnumber.normalize(q)[:50]
    if not text:
        return SearchResult("empty", None)
    scoped = (
        cadres_visible_to(user)
        .select_related("unit")
        .annotate(unit_label=unit_label("unit__"))
        .order_by("name", "pk")
    )
    if _ID_CHARS.match(text) and any(ch.isdigit() for ch in text):
        if len(text) == ID_LENGTH:
            return SearchResult("id", scoped.filter(id_number_hash=idnumber.digest(text)))
        if len(text) == TAIL_LENGTH:
            if not user.can("view_id_number"):
                return SearchResult(
                    "refused", None, "您的角色不能按身份证号后6位查找干部，请输入姓名或拼音首字母。"
                )
            return SearchResult("tail", scoped.filter(id_tail_hash=tail_digest(text)))
        return SearchResult(
            "bad_id",
            None,
            f"按身份证号查找请输入完整的18位号码或后6位（当前为{len(text)}位）。",
        )
    lowered = text.lower()
    if _LETTERS.match(lowered):
        return SearchResult("initials", scoped.filter(name_initials__startswith=lowered))
    return SearchResult("name", scoped.filter(name__contains=q.strip()[:50]))
