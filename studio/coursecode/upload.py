"""A course archive uploaded through the API or the admin: size-checked, extracted, loaded and imported
(or dry-run) for a caller who may write the course it names."""

import logging
import tempfile
from pathlib import Path
from typing import BinaryIO

from django.db import transaction

from accounts.models import User
from accounts.selectors import user_is_instructor
from config.errors import ApplicationError, Forbidden
from courseware.models import Course
from courseware.structure.selectors import course_can_write
from studio.coursecode.apply import course_import
from studio.coursecode.archive import course_zip_extract
from studio.coursecode.load import course_folder_load
from studio.coursecode.spec import ContentError, CourseContentInvalid

logger = logging.getLogger(__name__)


# --- Authoring: courses as code over the API ------------------------------------------------------------
COURSE_ARCHIVE_MAX_UPLOAD = 10 * 1024 * 1024


class UploadTooLarge(ApplicationError):
    status_code = 413
    code = "too_large"


def course_archive_import(*, actor: User, fileobj: BinaryIO, size: int, dry_run: bool = False):
    """Create or update a course from an uploaded zip of a course folder (docs/content-format.md) and
    return the ``ImportReport``. Instructors only; the course's slug must be new or one ``actor``
    teaches (admins: any). A new course names ``actor`` among its instructors; instructors named in
    ``course.yaml`` who do not teach it yet must hold the instructor role. Nothing is written when the
    archive or its content is invalid, and a dry run writes nothing at all."""

    if not user_is_instructor(actor):
        raise Forbidden("Only instructors and admins may import courses.")
    if size > COURSE_ARCHIVE_MAX_UPLOAD:
        raise UploadTooLarge(f"The upload is larger than {COURSE_ARCHIVE_MAX_UPLOAD} bytes.")
    with tempfile.TemporaryDirectory(prefix="course-upload-") as tmp:
        folder = course_zip_extract(fileobj=fileobj, dest=Path(tmp) / "upload")
        spec = course_folder_load(path=folder)
        with transaction.atomic():
            course = Course.objects.select_for_update(no_key=True).filter(slug=spec.slug).first()
            if course is not None and not course_can_write(course=course, user=actor):
                raise Forbidden(f"A course with the slug {spec.slug!r} exists and you do not teach it.")
            errors = []
            for name in spec.instructors:
                user = User.objects.filter(username__iexact=name).first()
                teaches = course is not None and user is not None and course.instructors.filter(pk=user.pk).exists()
                if user is not None and not teaches and not user_is_instructor(user):
                    errors.append(
                        ContentError("course.yaml", "instructors", f"{name!r} does not hold the instructor role")
                    )
            if errors:
                raise CourseContentInvalid(errors)
            report = course_import(spec=spec, dry_run=dry_run, importer=actor)
            if report.created and not dry_run:
                Course.objects.get(pk=report.course_id).instructors.add(actor)
    return report
