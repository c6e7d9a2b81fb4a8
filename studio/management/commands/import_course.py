"""``manage.py import_course PATH``: create or update a course from a course folder."""

import argparse
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from studio.coursecode.apply import course_import
from studio.coursecode.load import course_folder_load
from studio.coursecode.spec import CourseContentInvalid


class Command(BaseCommand):
    help = (
        "Create or update a course from a course folder (docs/content-format.md), in place and matched by "
        "slugs. Invalid content is reported in full and nothing is written."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("path", type=Path, help="the course folder (the one holding course.yaml)")
        parser.add_argument("--dry-run", action="store_true", help="report what would change, save nothing")
        parser.add_argument(
            "--publish",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="publish (or with --no-publish unpublish) the course, overriding course.yaml's 'published'",
        )

    def handle(self, *args, path: Path, dry_run: bool, publish: bool | None, **options) -> None:
        try:
            spec = course_folder_load(path=path)
            report = course_import(spec=spec, dry_run=dry_run, publish=publish)
        except CourseContentInvalid as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{path}: {exc.message}")
        self.stdout.write(report.as_text())
