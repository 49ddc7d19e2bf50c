"""LRMX (任免审批表, current format): UTF-8 XML, root ``<Person>``, one person per file.

``read`` is lenient in what it accepts (unknown elements, CDATA, namespaces, ``<br>`` in texts,
an encoding the XML declaration names) and strict about what it will not do: no DTD, no entity,
no network, no huge tree (lxml with every resolver off, and the bytes are searched for a DTD
first). ``write`` writes the elements in the order of the reference files.
"""

from __future__ import annotations

import base64
import binascii
import re

from lxml import etree

from .errors import FileProblem
from .person import ELEMENTS, FAMILY_ELEMENTS, LABELS, LONG_TEXTS, VERSION, Person, where

BOMB_MARKERS = (b"<!DOCTYPE", b"<!ENTITY", "<!DOCTYPE".encode("utf-16-le"), "<!ENTITY".encode("utf-16-le"))
DECLARED_RE = re.compile(rb"^\s*<\?xml[^>]*\bencoding\s*=\s*[\"']([A-Za-z0-9_\-]+)[\"']")
BR_RE = re.compile(r"<br\s*/?>", re.I)
MAX_PHOTO = 2 * 1024 * 1024


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        strip_cdata=True,
    )


def _check_encoding(data: bytes) -> None:
    """A file that says (or, by saying nothing, implies) UTF-8 must be UTF-8: an LRMX saved as
    GBK by hand gets a message saying so instead of lxml's "not proper UTF-8"."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return  # UTF-16 with a byte-order mark: lxml reads it
    m = DECLARED_RE.match(data[:200])
    declared = m.group(1).decode().lower() if m else "utf-8"
    if declared.replace("-", "") not in ("utf8",):
        return  # the declaration names another encoding (gb2312, gbk...): lxml decodes by it
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            data.decode("gb18030")
        except UnicodeDecodeError:
            hint = "文件编码无法识别"
        else:
            hint = "文件是 GBK（GB2312）编码的，但 LRMX 文件应为 UTF-8 编码"
        raise FileProblem(
            "", f"{hint}。请在任免审批表软件中重新导出 LRMX 文件，或用文本编辑器另存为 UTF-8 编码后上传。"
        ) from None


def _text(el) -> str:
    # a leaf (nearly every element) is its .text; mixed content (<br/> kept as elements) is joined
    text = (el.text or "") if len(el) == 0 else "\n".join(el.itertext())
    if "<" in text:
        text = BR_RE.sub("\n", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()


def _local(el) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def read(data: bytes) -> Person:
    for marker in BOMB_MARKERS:
        if marker in data:
            raise FileProblem(
                "", "文件含有 XML 文档类型或实体声明（DOCTYPE/ENTITY），可能是恶意文件，已拒绝。"
            )
    _check_encoding(data)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line = getattr(exc, "lineno", None)
        at = f"（第 {line} 行）" if line else ""
        raise FileProblem(
            "", f"文件不是有效的 XML{at}，无法读取。请确认是任免审批表软件导出的 LRMX 文件。"
        ) from None
    if _local(root) != "Person":
        raise FileProblem("", f"文件的根元素是 <{_local(root)}>，不是任免审批表的 <Person>。")
    person = Person()
    for el in root:
        name = _local(el)
        if not name:
            continue
        if name == "JiaTingChengYuan":
            person.family.extend(_family(el))
        elif name == "ZhaoPian":
            person.photo = _photo(_text(el))
        elif name in LABELS:
            person.values[name] = _text(el)
        else:
            person.unknown.append(name)
    return person


def _family(el) -> list[dict]:
    members = []
    for item in el:
        if _local(item) != "Item":
            continue
        values = {_local(c): _text(c) for c in item if _local(c)}
        member = {key: values.get(element, "") for element, key, _ in FAMILY_ELEMENTS}
        if any(member.values()):
            members.append(member)
    return members


def _photo(text: str) -> bytes | None:
    text = "".join(text.split())
    if not text:
        return None
    if len(text) > MAX_PHOTO * 4 // 3 + 4:
        raise FileProblem("ZhaoPian", f"{where('ZhaoPian')}过大（超过 {MAX_PHOTO // 1024 // 1024} MB）。")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise FileProblem("ZhaoPian", f"{where('ZhaoPian')}不是有效的 Base64 编码图片。") from None


CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _safe(text: str) -> str:
    """XML 1.0 has no place for control characters; a registry text holding one loses it."""
    return CONTROL_RE.sub("", text or "")


def write(person: Person) -> bytes:
    root = etree.Element("Person")
    for element, _ in ELEMENTS:
        child = etree.SubElement(root, element)
        if element == "JiaTingChengYuan":
            for member in person.family:
                item = etree.SubElement(child, "Item")
                for sub, key, _ in FAMILY_ELEMENTS:
                    etree.SubElement(item, sub).text = _safe(member.get(key, "") or "")
            continue
        if element == "ZhaoPian":
            child.text = base64.b64encode(person.photo).decode() if person.photo else ""
            continue
        if element == "Version":
            child.text = person.get("Version") or VERSION
            continue
        text = _safe(person.get(element))
        if element in LONG_TEXTS and text and "]]>" not in text:
            child.text = etree.CDATA(text)
        else:
            child.text = text
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
