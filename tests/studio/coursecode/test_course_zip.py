"""Course archives: safe extraction of uploads, and building a download that imports back."""

import io
import os
import stat
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from courseware.models import Course
from studio.coursecode.apply import course_import
from studio.coursecode.archive import course_zip_build, course_zip_extract
from studio.coursecode.load import course_folder_load
from studio.coursecode.spec import CourseContentInvalid
from tests.factories import build_course
from tests.studio.coursecode.folders import course_tree, make_course_folder


def zip_bytes(files: dict[str, bytes | str], *, compression: int = zipfile.ZIP_DEFLATED) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def zip_folder(folder: Path, *, prefix: str = "") -> io.BytesIO:
    files = {
        f"{prefix}{path.relative_to(folder).as_posix()}": path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file()
    }
    return zip_bytes(files)


def refused(fileobj, dest: Path, **limits) -> str:
    with pytest.raises(CourseContentInvalid) as info:
        course_zip_extract(fileobj=fileobj, dest=dest, **limits)
    [error] = info.value.errors
    assert (error.file, error.field) == ("(archive)", "(zip)")
    return error.message


def test_zip_with_the_course_at_its_root(tmp_path):
    folder = make_course_folder(tmp_path / "src")
    dest = tmp_path / "dest"

    root = course_zip_extract(fileobj=zip_folder(folder), dest=dest)

    assert root == dest.resolve()
    assert course_folder_load(path=root).slug == "demo-course"


def test_zip_with_the_course_in_one_top_level_folder(tmp_path):
    folder = make_course_folder(tmp_path / "src")
    archive = zip_folder(folder, prefix="demo-course-main/")
    with zipfile.ZipFile(archive, "a") as z:  # what macOS Finder adds
        z.writestr("__MACOSX/demo-course-main/._course.yaml", b"\x00junk")
    archive.seek(0)

    root = course_zip_extract(fileobj=archive, dest=tmp_path / "dest")

    assert root == (tmp_path / "dest" / "demo-course-main").resolve()
    assert course_folder_load(path=root).title == "Demo course"
    assert not (tmp_path / "dest" / "__MACOSX").exists()


@pytest.mark.django_db
def test_built_zip_imports_back_to_the_same_course(tmp_path):
    course = build_course(modules=2, estimated_hours=Decimal("2.5"))
    expected = course_tree(course)

    data = course_zip_build(course=course)

    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert f"{course.slug}/course.yaml" in names
    course.delete()
    root = course_zip_extract(fileobj=io.BytesIO(data), dest=tmp_path / "up")
    course_import(spec=course_folder_load(path=root))
    assert course_tree(Course.objects.get()) == expected


@pytest.mark.parametrize(
    "name",
    ["../evil.txt", "course/../../evil.txt", "a/b/../../../evil.txt"],
    ids=["parent", "nested-parent", "deep-parent"],
)
def test_traversal_is_refused(tmp_path, name):
    dest = tmp_path / "dest"
    message = refused(zip_bytes({"course.yaml": "slug: x\n", name: "pwned"}), dest)
    assert "'..'" in message
    assert not any(tmp_path.rglob("evil.txt"))


@pytest.mark.parametrize("name", ["/tmp/evil.txt", "/course.yaml", "C:/evil.txt"])
def test_absolute_path_is_refused(tmp_path, name):
    message = refused(zip_bytes({"course.yaml": "slug: x\n", name: "pwned"}), tmp_path / "dest")
    assert "absolute paths are not allowed" in message


def test_backslash_name_is_refused(tmp_path):
    message = refused(zip_bytes({"course.yaml": "x", "..\\..\\evil.txt": "pwned"}), tmp_path / "dest")
    assert "unsafe file name" in message


def test_symlink_is_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("course.yaml", "slug: x\n")
        link = zipfile.ZipInfo("01-module/module.yaml")
        link.create_system = 3  # Unix
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    buffer.seek(0)

    message = refused(buffer, tmp_path / "dest")

    assert "symbolic links are not allowed" in message
    assert not (tmp_path / "dest" / "01-module").exists()


def test_zip_bomb_is_refused(tmp_path):
    bomb = zip_bytes({"course.yaml": "slug: x\n", "01-m/01-a.md": b"\0" * (10 * 1024 * 1024)})
    assert len(bomb.getvalue()) < 100_000

    message = refused(bomb, tmp_path / "dest")

    assert "suspicious compression ratio" in message
    assert not (tmp_path / "dest" / "01-m").exists()


def test_total_size_over_the_limit_is_refused(tmp_path):
    files = {"course.yaml": "slug: x\n", **{f"01-m/{i:02d}-a.md": os.urandom(400) for i in range(1, 4)}}
    message = refused(zip_bytes(files), tmp_path / "dest", max_bytes=1000)
    assert "too large: more than 1000 bytes" in message


def test_too_many_files_is_refused(tmp_path):
    files = {"course.yaml": "slug: x\n", **{f"01-m/{i:02d}-a.md": "x" for i in range(1, 6)}}
    message = refused(zip_bytes(files), tmp_path / "dest", max_files=5)
    assert "too many files (more than 5)" in message


@pytest.mark.parametrize("data", [b"", b"hello, not a zip", b"PK\x03\x04broken"], ids=["empty", "text", "truncated"])
def test_not_a_zip_is_refused(tmp_path, data):
    assert "not a zip archive" in refused(io.BytesIO(data), tmp_path / "dest")


@pytest.mark.parametrize(
    "files",
    [
        {"readme.txt": "no course here"},
        {"a/course.yaml": "slug: a\n", "b/course.yaml": "slug: b\n"},
        {"outer/inner/course.yaml": "slug: x\n"},
    ],
    ids=["no-course-yaml", "two-top-level-folders", "too-deep"],
)
def test_archive_without_a_course_root_is_refused(tmp_path, files):
    message = refused(zip_bytes(files), tmp_path / "dest")
    assert "no course.yaml at the archive's root or inside a single top-level folder" in message


def test_encrypted_entry_is_refused(tmp_path):
    archive = zip_bytes({"course.yaml": "slug: x\n"})
    raw = bytearray(archive.getvalue())
    # Set the "encrypted" flag bit in the local header and the central directory entry.
    raw[6] |= 0x1
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 8] |= 0x1
    assert "encrypted" in refused(io.BytesIO(bytes(raw)), tmp_path / "dest")
