"""LRM (the older 任免审批表 format): a GBK text file of quoted, comma-separated fields in a fixed
order; inside a field ``#`` is a line break and ``@`` separates the cells of a list (the family
members); the photo is a separate ``.pic`` file of the same name.

The order below is kept as data: a department whose software writes another order changes
``LRM_FIELDS``, not the reader. Fewer fields than listed read as empty; more are ignored and said.
"""

from __future__ import annotations

import csv
import io

from .errors import FileProblem
from .person import FAMILY_ELEMENTS, Person

FAMILY_PREFIX = "JiaTingChengYuan."
LRM_FIELDS = [
    "XingMing",
    "XingBie",
    "ChuShengNianYue",
    "MinZu",
    "JiGuan",
    "ChuShengDi",
    "RuDangShiJian",
    "CanJiaGongZuoShiJian",
    "JianKangZhuangKuang",
    "ZhuanYeJiShuZhiWu",
    "ShuXiZhuanYeYouHeZhuanChang",
    "QuanRiZhiJiaoYu_XueLi",
    "QuanRiZhiJiaoYu_XueWei",
    "QuanRiZhiJiaoYu_XueLi_BiYeYuanXiaoXi",
    "QuanRiZhiJiaoYu_XueWei_BiYeYuanXiaoXi",
    "ZaiZhiJiaoYu_XueLi",
    "ZaiZhiJiaoYu_XueWei",
    "ZaiZhiJiaoYu_XueLi_BiYeYuanXiaoXi",
    "ZaiZhiJiaoYu_XueWei_BiYeYuanXiaoXi",
    "XianRenZhiWu",
    "NiRenZhiWu",
    "NiMianZhiWu",
    "JianLi",
    "JiangChengQingKuang",
    "NianDuKaoHeJieGuo",
    "RenMianLiYou",
    # the family: one field per column, the members' cells separated by @
    *(FAMILY_PREFIX + element for element, _, _ in FAMILY_ELEMENTS),
    "ChengBaoDanWei",
    "JiSuanNianLingShiJian",
    "TianBiaoShiJian",
    "TianBiaoRen",
    "ShenFenZheng",
]


def decode(data: bytes) -> tuple[str, str]:
    """(text, note): GBK (read as GB18030, its superset) as the format says; a file that is
    valid UTF-8 with Chinese in it was saved by another editor and is read as UTF-8, said in
    the note."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode(
            "utf-8", errors="strict"
        ), "文件为 UTF-8 编码（LRM 通常为 GBK），已按 UTF-8 读取。"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if any(ord(c) > 127 for c in text):
            return text, "文件为 UTF-8 编码（LRM 通常为 GBK），已按 UTF-8 读取。"
        return text, ""
    try:
        return data.decode("gb18030"), ""
    except UnicodeDecodeError:
        raise FileProblem(
            "", "文件编码无法识别：LRM 文件应为 GBK 编码。请在任免审批表软件中重新导出后上传。"
        ) from None


def read(data: bytes, photo: bytes | None = None) -> tuple[Person, str]:
    """The person of an LRM file and a note on how it was read ("" when nothing to say)."""
    if b"\x00" in data[:4096]:
        raise FileProblem("", "文件不是文本格式的 LRM 文件（可能是其他程序的文件被改了扩展名）。")
    text, note = decode(data)
    text = text.replace("\r\n", "").replace("\n", "").replace("\r", "")
    try:
        rows = list(csv.reader(io.StringIO(text), skipinitialspace=True, strict=False))
    except csv.Error:
        raise FileProblem("", "文件不是有效的 LRM 格式（引号不成对），无法读取。") from None
    fields = [cell for row in rows for cell in row]
    if len(fields) < 2 or not any(f.strip() for f in fields[:2]):
        raise FileProblem("", "文件不是有效的 LRM 格式（没有读到姓名等字段），无法读取。")
    person = Person(photo=photo or None)
    columns: dict[str, list[str]] = {}
    for name, value in zip(LRM_FIELDS, fields, strict=False):
        value = value.strip()
        if name.startswith(FAMILY_PREFIX):
            columns[name[len(FAMILY_PREFIX) :]] = value.split("@") if value else []
        else:
            person.values[name] = value.replace("#", "\n").strip()
    if len(fields) > len(LRM_FIELDS):
        extra = f"文件比约定的 {len(LRM_FIELDS)} 个字段多 {len(fields) - len(LRM_FIELDS)} 个，多出的已忽略。"
        note = f"{note}{extra}" if note else extra
    count = max((len(v) for v in columns.values()), default=0)
    for i in range(count):
        member = {
            key: (columns.get(element, []) + [""] * count)[i].strip() for element, key, _ in FAMILY_ELEMENTS
        }
        if any(member.values()):
            person.family.append(member)
    return person, note


def write(person: Person, *, encoding: str = "gbk") -> bytes:
    """An LRM file of ``person`` (the photo goes to a ``.pic`` file of its own): for tests and
    for departments still on the old software."""
    out = []
    for name in LRM_FIELDS:
        if name.startswith(FAMILY_PREFIX):
            key = next(k for e, k, _ in FAMILY_ELEMENTS if e == name[len(FAMILY_PREFIX) :])
            value = "@".join(m.get(key, "") for m in person.family)
        else:
            value = person.get(name).replace("\n", "#")
        out.append('"' + value.replace('"', "'") + '"')
    return ",".join(out).encode(encoding, errors="replace")
