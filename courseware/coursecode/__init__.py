"""Courses as code: a course folder (docs/content-format.md) ⇄ the database, and zip archives of it.

``course_folder_load`` parses and validates a folder into a ``CourseSpec``; ``course_import``
writes a spec in place; ``course_export`` writes a course back out as a folder;
``course_zip_extract`` / ``course_zip_build`` move folders in and out as archives."""

from courseware.coursecode.apply import ImportReport, ItemChange, ItemChanges, course_import
from courseware.coursecode.archive import course_zip_build, course_zip_extract
from courseware.coursecode.export import course_export, course_folder_clear
from courseware.coursecode.load import course_folder_load
from courseware.coursecode.spec import (
    ChoiceSpec,
    ContentError,
    CourseContentInvalid,
    CourseSpec,
    LessonSpec,
    ModuleSpec,
    QuestionSpec,
    QuizSpec,
)

__all__ = [
    "ChoiceSpec",
    "ContentError",
    "CourseContentInvalid",
    "CourseSpec",
    "ImportReport",
    "ItemChange",
    "ItemChanges",
    "LessonSpec",
    "ModuleSpec",
    "QuestionSpec",
    "QuizSpec",
    "course_export",
    "course_folder_clear",
    "course_folder_load",
    "course_import",
    "course_zip_build",
    "course_zip_extract",
]
