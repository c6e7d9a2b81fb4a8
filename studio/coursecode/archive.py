"""Course folders as zip archives, for uploading and downloading through the API.

Extraction trusts nothing in the archive: names are checked before anything is written, links are
refused, and sizes are capped both as declared and as actually decompressed."""

import io
import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from courseware.models import Course
from studio.coursecode.export import course_export
from studio.coursecode.fields import COURSE_FILE, is_ignored
from studio.coursecode.spec import ContentError, CourseContentInvalid

MAX_BYTES = 20 * 1024 * 1024
MAX_FILES = 2000
MAX_RATIO = 100
# Below this many uncompressed bytes a high compression ratio is harmless (and common for small,
# repetitive text), so the ratio check only applies to larger archives and entries.
RATIO_FLOOR = 1024 * 1024
_CHUNK = 64 * 1024


def _invalid(message: str) -> CourseContentInvalid:
    return CourseContentInvalid([ContentError("(archive)", "(zip)", message)])


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _safe_parts(name: str) -> tuple[str, ...]:
    """The archive name's path parts, or an error for anything that could escape the destination."""
    if "\x00" in name or "\\" in name:
        raise _invalid(f"{name!r}: unsafe file name (backslash or NUL)")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise _invalid(f"{name!r}: absolute paths are not allowed")
    parts = tuple(part for part in PurePosixPath(name).parts if part not in ("", "."))
    if ".." in parts:
        raise _invalid(f"{name!r}: '..' in a path is not allowed")
    return parts


def course_zip_extract(
    *,
    fileobj: BinaryIO,
    dest: Path,
    max_bytes: int = MAX_BYTES,
    max_files: int = MAX_FILES,
    max_ratio: int = MAX_RATIO,
) -> Path:
    """Extract an uploaded course archive into ``dest`` and return the course folder: ``dest``
    itself when ``course.yaml`` is at the archive's root, else the single top-level folder holding it.
    Raises ``CourseContentInvalid`` for anything unsafe or malformed; names, links and declared
    sizes are checked before anything is written, the real decompressed size while writing (so
    extract into a fresh temporary folder and discard it on error)."""
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _invalid("the upload is not a zip archive")
    with archive:
        entries: list[tuple[zipfile.ZipInfo, tuple[str, ...]]] = []
        total = compressed = files = 0
        seen: set[tuple[str, ...]] = set()
        for info in archive.infolist():
            parts = _safe_parts(info.filename)
            if _is_symlink(info):
                raise _invalid(f"{info.filename!r}: symbolic links are not allowed")
            if info.flag_bits & 0x1:
                raise _invalid(f"{info.filename!r}: encrypted entries are not allowed")
            if info.is_dir() or not parts:
                continue
            files += 1
            if files > max_files:
                raise _invalid(f"too many files (more than {max_files})")
            if any(is_ignored(part) for part in parts):
                continue
            if parts in seen:
                raise _invalid(f"{info.filename!r}: appears twice in the archive")
            seen.add(parts)
            entries.append((info, parts))
            total += info.file_size
            compressed += info.compress_size
            if total > max_bytes:
                raise _invalid(f"too large: more than {max_bytes} bytes uncompressed")
            if info.file_size > RATIO_FLOOR and info.file_size > max_ratio * max(info.compress_size, 1):
                raise _invalid(f"{info.filename!r}: suspicious compression ratio (possible zip bomb)")
        if total > RATIO_FLOOR and total > max_ratio * max(compressed, 1):
            raise _invalid("suspicious compression ratio (possible zip bomb)")

        root = _course_root(entries)
        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        base = dest.resolve()
        written = 0
        for info, parts in entries:
            target = base.joinpath(*parts)
            if not target.resolve().is_relative_to(base):
                raise _invalid(f"{info.filename!r}: escapes the destination folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(info) as source, target.open("wb") as out:
                    while chunk := source.read(_CHUNK):
                        written += len(chunk)
                        if written > max_bytes:  # sizes in the archive's headers can lie
                            raise _invalid(f"too large: more than {max_bytes} bytes uncompressed")
                        out.write(chunk)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError) as exc:
                raise _invalid(f"{info.filename!r}: cannot be extracted ({exc})")
    return base.joinpath(*root)


def _course_root(entries: list[tuple[zipfile.ZipInfo, tuple[str, ...]]]) -> tuple[str, ...]:
    names = [parts for _, parts in entries]
    if (COURSE_FILE,) in names:
        return ()
    tops = {parts[0] for parts in names}
    if len(tops) == 1:
        top = next(iter(tops))
        if (top, COURSE_FILE) in names:
            return (top,)
    raise _invalid(f"no {COURSE_FILE} at the archive's root or inside a single top-level folder")


def course_zip_build(*, course: Course) -> bytes:
    """The course exported as a zip archive: one top-level folder named after the course's slug."""
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / course.slug
        course_export(course=course, path=folder)
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(p for p in folder.rglob("*") if p.is_file()):
                archive.write(file, arcname=f"{course.slug}/{file.relative_to(folder).as_posix()}")
    return buffer.getvalue()
