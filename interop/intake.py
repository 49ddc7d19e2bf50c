"""What an upload holds: LRMX and LRM files, one, many, or in zips, with the ``.pic`` photos of
the LRM files. The defences are the sheet import's (``assessment.sheets.safety``): the size is
checked before anything is read, a zip's directory is checked for too many entries, too much
declared data and suspicious ratios before a member is opened, and every member is inflated by
the same bounded loop, so one that inflates past what its entry declares is a zip bomb.
XML entity bombs are refused by ``lrmx.read``.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from dataclasses import dataclass

from django.conf import settings

from assessment.sheets import safety
from assessment.sheets.safety import SheetRejected

from .errors import UploadRejected

MB = 1024 * 1024
DEFAULT_MAX_BYTES = 50 * MB  # one upload (a county's zip of 任免审批表 with photos)
MAX_MEMBER = 8 * MB  # one LRMX with its photo is well under 1 MB
MAX_MEMBERS = 10_000
MAX_FILES = 5_000  # people in one import
KINDS = {".lrmx": "lrmx", ".xml": "lrmx", ".lrm": "lrm"}


@dataclass
class Item:
    name: str  # as the user knows it: the zip's name / the member's path
    kind: str  # lrmx | lrm
    data: bytes
    photo: bytes | None = None  # the .pic beside an LRM file


@dataclass
class Intake:
    items: list[Item]
    notes: list[str]


def max_bytes() -> int:
    return int(getattr(settings, "LRMX_MAX_BYTES", DEFAULT_MAX_BYTES))


def _mb(size: int) -> str:
    return f"{size / MB:.1f} MB"


def check_size(size: int) -> None:
    limit = max_bytes()
    if size > limit:
        raise UploadRejected(
            "too_large", f"上传的文件过大（{_mb(size)}），一次不能超过 {_mb(limit)}。请分批上传。", 413
        )


def _ext(name: str) -> str:
    base = posixpath.basename(name.replace("\\", "/")).lower()
    return "." + base.rsplit(".", 1)[-1] if "." in base else ""


def _stem(name: str) -> str:
    name = name.replace("\\", "/")
    return name.rsplit(".", 1)[0].lower() if "." in posixpath.basename(name) else name.lower()


def _member_name(info: zipfile.ZipInfo) -> str:
    """Zips made on Chinese Windows store names in GBK without the UTF-8 flag; Python reads
    them as cp437."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _unzip(data: bytes, label: str, notes: list[str], prefix: bool = True) -> list[tuple[str, bytes]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise UploadRejected("bad_zip", f"压缩包“{label}”已损坏或不完整，无法读取。", 415) from None
    if len(infos) > MAX_MEMBERS:
        raise UploadRejected("zip_bomb", f"压缩包“{label}”包含的条目过多（疑似恶意文件），已拒绝。", 413)
    total = sum(info.file_size for info in infos)
    if total > safety.MAX_UNCOMPRESSED:
        raise UploadRejected(
            "zip_bomb",
            f"压缩包“{label}”解压后将超过 {safety.MAX_UNCOMPRESSED // MB} MB（疑似压缩炸弹），已拒绝。",
            413,
        )
    out = []
    for info in infos:
        if info.is_dir():
            continue
        name = _member_name(info)
        base = posixpath.basename(name.replace("\\", "/"))
        if (
            name.startswith("__MACOSX/")
            or base.startswith(".")
            or base.lower() in ("thumbs.db", "desktop.ini")
        ):
            continue
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > safety.RATIO_MIN_SIZE and ratio > safety.MAX_RATIO:
            raise UploadRejected(
                "zip_bomb", f"压缩包中的 {name} 压缩比异常（{ratio:.0f}:1，疑似压缩炸弹），已拒绝。", 413
            )
        ext = _ext(name)
        if ext == ".zip":
            notes.append(f"压缩包中的压缩包“{name}”未读取，请解压后再上传。")
            continue
        if ext not in (*KINDS, ".pic"):
            notes.append(f"“{name}”不是任免审批表文件（.lrmx、.lrm、.pic），已忽略。")
            continue
        if info.file_size > MAX_MEMBER:
            raise UploadRejected(
                "too_large", f"压缩包中的 {name} 过大（{_mb(info.file_size)}），不像任免审批表。", 413
            )
        try:
            content = b"".join(safety._member_stream(data, info))
        except SheetRejected as exc:
            raise UploadRejected(exc.code, f"压缩包中的 {name}：{exc.message}", exc.status) from None
        out.append((f"{label}/{name}" if prefix else name, content))
    return out


def read_upload(files: list[tuple[str, bytes]], *, packed: bool = False) -> Intake:
    """The LRMX/LRM files of an upload, each LRM with its photo. ``UploadRejected`` when the
    upload as a whole is refused. ``packed``: one zip ``pack`` made of several uploaded files,
    whose members are named as uploaded."""
    check_size(sum(len(data) for _, data in files))
    notes: list[str] = []
    flat: list[tuple[str, bytes]] = []
    for name, data in files:
        if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
            flat.extend(_unzip(data, name, notes, prefix=not packed))
        elif _ext(name) == ".zip":
            raise UploadRejected("bad_zip", f"“{name}”的扩展名是 .zip，但内容不是压缩包。", 415)
        else:
            flat.append((name, data))
    photos = {_stem(n): d for n, d in flat if _ext(n) == ".pic"}
    items: list[Item] = []
    used_photos = set()
    for name, data in flat:
        ext = _ext(name)
        if ext == ".pic":
            continue
        kind = KINDS.get(ext)
        if kind is None:
            notes.append(f"“{name}”不是任免审批表文件（.lrmx、.lrm），已忽略。")
            continue
        if len(data) > MAX_MEMBER:
            raise UploadRejected("too_large", f"{name} 过大（{_mb(len(data))}），不像任免审批表。", 413)
        photo = None
        if kind == "lrm":
            photo = photos.get(_stem(name))
            if photo is not None:
                used_photos.add(_stem(name))
        items.append(Item(name=name, kind=kind, data=data, photo=photo))
    for stem in sorted(set(photos) - used_photos):
        notes.append(f"照片“{stem}.pic”没有同名的 LRM 文件，已忽略。")
    if not items:
        raise UploadRejected(
            "no_files", "上传的内容中没有任免审批表文件（.lrmx 或 .lrm，可以放在 .zip 压缩包中）。", 415
        )
    if len(items) > MAX_FILES:
        raise UploadRejected(
            "too_many", f"一次最多导入 {MAX_FILES} 份任免审批表，本次有 {len(items)} 份，请分批上传。", 413
        )
    return Intake(items=items, notes=notes)


def pack(files: list[tuple[str, bytes]]) -> tuple[str, bytes]:
    """One stored file for the batch: the upload itself when it is one file, else a zip of them."""
    if len(files) == 1:
        return files[0]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        seen: set[str] = set()
        for name, data in files:
            base = posixpath.basename(name.replace("\\", "/")) or "file"
            unique, n = base, 1
            while unique in seen:
                n += 1
                unique = f"{n}-{base}"
            seen.add(unique)
            archive.writestr(unique, data)
    return f"{len(files)}个文件.zip", buf.getvalue()
