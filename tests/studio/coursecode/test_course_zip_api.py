"""Courses as code over the API: upload a zip of a course folder to create or update a course (dry run,
invalid content, unsafe or non-zip archives, size limit, who may), and download a course as a zip that
uploads back to the same course."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from courseware.models import Course
from lessons.models import Lesson
from studio.coursecode import upload as upload_module
from tests.conftest import client_for
from tests.factories import EnrollmentFactory, InstructorFactory, LessonCompletionFactory, UserFactory
from tests.studio.coursecode.folders import course_tree, db_counts, lesson_text, make_course_folder, write, write_yaml

pytestmark = pytest.mark.django_db


def zip_folder(folder: Path, *, root: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            name = file.relative_to(folder).as_posix()
            archive.write(file, arcname=f"{root}/{name}" if root else name)
    return buffer.getvalue()


def upload(client, data: bytes, *, dry_run: bool | None = None, name: str = "course.zip"):
    body = {"file": SimpleUploadedFile(name, data, content_type="application/zip")}
    if dry_run is not None:
        body["dry_run"] = "true" if dry_run else "false"
    return client.post("/api/courses/import/", body, format="multipart")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return make_course_folder(tmp_path)


# --- Create, update, dry run ----------------------------------------------------------------------------
def test_upload_creates_the_course_and_names_the_uploader_instructor(instructor, folder):
    r = upload(client_for(instructor), zip_folder(folder, root="demo-course"))
    assert r.status_code == 201, r.json()
    report = r.json()
    assert report["created"] is True and report["dry_run"] is False and report["course_slug"] == "demo-course"
    assert len(report["lessons"]["added"]) == 4 and len(report["quizzes"]["added"]) == 2
    assert "created" in report["text"]
    course = Course.objects.get(slug="demo-course")
    assert course.instructors.filter(pk=instructor.pk).exists()
    assert course.is_published and Lesson.objects.filter(course=course).count() == 4


def test_upload_updates_in_place_keeping_progress(instructor, folder):
    client = client_for(instructor)
    assert upload(client, zip_folder(folder)).status_code == 201
    course = Course.objects.get(slug="demo-course")
    lesson = Lesson.objects.get(course=course, slug="first-steps")
    learner = UserFactory()
    EnrollmentFactory(learner=learner, course=course)
    LessonCompletionFactory(learner=learner, lesson=lesson)

    write(folder / "01-basics" / "01-first-steps.md", lesson_text("First steps, revised"))
    r = upload(client, zip_folder(folder))
    assert r.status_code == 200, r.json()
    changed = r.json()["lessons"]["changed"]
    assert [(c["slug"], c["learners"]) for c in changed] == [("first-steps", 1)]
    lesson.refresh_from_db()
    assert lesson.title == "First steps, revised" and lesson.completions.count() == 1


def test_dry_run_reports_and_writes_nothing(instructor, folder):
    client = client_for(instructor)
    before = db_counts()
    r = upload(client, zip_folder(folder), dry_run=True)
    assert r.status_code == 200, r.json()
    assert r.json()["dry_run"] is True and r.json()["created"] is True
    assert db_counts() == before

    assert upload(client, zip_folder(folder)).status_code == 201
    write_yaml(folder / "03-extra" / "module.yaml", {"title": "Extra"})
    write(folder / "03-extra" / "01-bonus.md", lesson_text("Bonus"))
    course = Course.objects.get(slug="demo-course")
    tree = course_tree(course, timestamps=True)
    r = upload(client, zip_folder(folder), dry_run=True)
    assert r.status_code == 200
    assert [c["slug"] for c in r.json()["lessons"]["added"]] == ["bonus"]
    course.refresh_from_db()
    assert course_tree(course, timestamps=True) == tree


# --- Invalid uploads --------------------------------------------------------------------------------------
def test_invalid_content_is_refused_with_every_problem_by_file_and_field(instructor, folder):
    write_yaml(folder / "course.yaml", {"slug": "demo-course", "summary": "No title."})
    write(folder / "01-basics" / "02-second-steps.md", "no front matter")
    client = client_for(instructor)
    before = db_counts()
    r = upload(client, zip_folder(folder))
    assert r.status_code == 400
    errors = {(e["file"], e["field"]) for e in r.json()["errors"]}
    assert ("course.yaml", "title") in errors
    assert ("01-basics/02-second-steps.md", "(front matter)") in errors
    assert all(e["message"] for e in r.json()["errors"])
    assert db_counts() == before


def test_path_traversal_is_refused_and_nothing_escapes(instructor, folder, tmp_path):
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("course.yaml", (folder / "course.yaml").read_text())
        archive.writestr("../../escaped.txt", "gotcha")
    r = upload(client_for(instructor), data.getvalue())
    assert r.status_code == 400
    assert r.json()["errors"][0]["file"] == "(archive)" and ".." in r.json()["errors"][0]["message"]
    assert not Course.objects.filter(slug="demo-course").exists()


def test_a_non_zip_upload_is_refused(instructor):
    r = upload(client_for(instructor), b"this is not a zip", name="course.txt")
    assert r.status_code == 400 and "not a zip" in r.json()["errors"][0]["message"]
    r = client_for(instructor).post("/api/courses/import/", {}, format="multipart")
    assert r.status_code == 400 and "file" in r.json()
    r = client_for(instructor).post("/api/courses/import/", {"file": "x"}, format="json")
    assert r.status_code == 415


def test_uploads_over_the_limit_are_refused(instructor, folder, monkeypatch):
    client = client_for(instructor)
    data = zip_folder(folder)
    monkeypatch.setattr(upload_module, "COURSE_ARCHIVE_MAX_UPLOAD", len(data) - 1)
    r = upload(client, data)  # the file alone is over the limit
    assert r.status_code == 413 and r.json()["code"] == "too_large"
    monkeypatch.setattr(upload_module, "COURSE_ARCHIVE_MAX_UPLOAD", 10)
    r = upload(client, data)  # the whole body is over the limit: refused before it is read
    assert r.status_code == 413 and r.json()["code"] == "too_large"
    assert not Course.objects.filter(slug="demo-course").exists()


# --- Who may import -----------------------------------------------------------------------------------------
def test_learners_may_not_import(learner, folder):
    assert upload(client_for(learner), zip_folder(folder)).status_code == 403
    assert not Course.objects.filter(slug="demo-course").exists()


def test_the_slug_must_be_new_or_one_the_uploader_teaches(instructor, admin_user, folder):
    assert upload(client_for(instructor), zip_folder(folder)).status_code == 201
    stranger = InstructorFactory()
    r = upload(client_for(stranger), zip_folder(folder), dry_run=True)
    assert r.status_code == 403
    write(folder / "01-basics" / "01-first-steps.md", lesson_text("Changed by an admin"))
    assert upload(client_for(admin_user), zip_folder(folder)).status_code == 200
    assert not Course.objects.get(slug="demo-course").instructors.filter(pk=admin_user.pk).exists()


def test_instructors_named_in_the_folder_must_hold_the_role(instructor, folder):
    UserFactory(username="just-a-learner")
    colleague = InstructorFactory(username="colleague")
    write_yaml(
        folder / "course.yaml",
        {"slug": "demo-course", "title": "Demo", "summary": "S", "instructors": ["just-a-learner", "colleague"]},
    )
    r = upload(client_for(instructor), zip_folder(folder))
    assert r.status_code == 400
    assert r.json()["errors"] == [
        {"file": "course.yaml", "field": "instructors", "message": "'just-a-learner' does not hold the instructor role"}
    ]
    write_yaml(
        folder / "course.yaml", {"slug": "demo-course", "title": "Demo", "summary": "S", "instructors": ["colleague"]}
    )
    r = upload(client_for(instructor), zip_folder(folder))
    assert r.status_code == 201
    # Only an admin names other instructors: the colleague is not added without consent (issue 23).
    assert r.json()["instructors_ignored"] == ["colleague"]
    teachers = set(Course.objects.get(slug="demo-course").instructors.values_list("pk", flat=True))
    assert teachers == {instructor.pk} and colleague.pk not in teachers


# --- Export ---------------------------------------------------------------------------------------------------
@pytest.fixture
def authored(course):
    # 0 estimated hours means "not set" in the course folder format: an import computes them from the
    # lessons' minutes. An authored course states them.
    Course.objects.filter(pk=course.pk).update(estimated_hours="2.5")
    course.refresh_from_db()
    return course


def test_export_downloads_a_zip_that_uploads_back_unchanged(instructor, authored):
    course = authored
    client = client_for(instructor)
    r = client.get(f"/api/courses/{course.slug}/export/")
    assert r.status_code == 200
    assert r["Content-Type"] == "application/zip"
    assert f'filename="{course.slug}.zip"' in r["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    assert f"{course.slug}/course.yaml" in archive.namelist()

    tree = course_tree(course, timestamps=True)
    again = upload(client, r.content)
    assert again.status_code == 200, again.json()
    assert again.json()["has_changes"] is False
    course.refresh_from_db()
    assert course_tree(course, timestamps=True) == tree


def test_export_uploads_as_a_copy_under_a_new_slug(instructor, authored, tmp_path):
    course = authored
    client = client_for(instructor)
    data = client.get(f"/api/courses/{course.slug}/export/", HTTP_ACCEPT="application/zip").content
    folder = tmp_path / "copy"
    zipfile.ZipFile(io.BytesIO(data)).extractall(folder)
    yaml_path = folder / course.slug / "course.yaml"
    yaml_path.write_text(yaml_path.read_text().replace(f"slug: {course.slug}", "slug: the-copy"))
    r = upload(client, zip_folder(folder / course.slug))
    assert r.status_code == 201, r.json()
    copy = Course.objects.get(slug="the-copy")
    original, duplicate = course_tree(course), course_tree(copy)
    original.pop("slug"), duplicate.pop("slug")
    assert duplicate == original


def test_export_is_for_the_course_staff(course, learner):
    assert client_for(learner).get(f"/api/courses/{course.slug}/export/").status_code == 403
    r = client_for(InstructorFactory()).get(f"/api/courses/{course.slug}/export/", HTTP_ACCEPT="application/zip")
    assert r.status_code == 403 and r["Content-Type"] == "application/json"
