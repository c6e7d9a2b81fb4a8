"""Courses as code: a course folder (docs/content-format.md) ⇄ the database, and zip archives of it.

``load.course_folder_load`` parses and validates a folder into a ``spec.CourseSpec``;
``apply.course_import`` writes a spec in place; ``export.course_export`` writes a course back out as
a folder; ``archive.course_zip_extract`` / ``archive.course_zip_build`` move folders in and out as
archives; ``upload.course_archive_import`` is the API's and the admin's way in."""
