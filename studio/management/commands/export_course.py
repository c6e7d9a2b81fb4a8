"""``manage.py export_course SLUG PATH``: write a course as a course folder."""

import argparse
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courseware.models import Course
from studio.coursecode.export import course_export, course_folder_clear


class Command(BaseCommand):
    help = "Write a course as a course folder (docs/content-format.md) that import_course reads back."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("slug", help="the course's slug")
        parser.add_argument("path", type=Path, help="the folder to write (created when missing)")
        parser.add_argument(
            "--force",
            action="store_true",
            help="write into a non-empty folder, replacing its course.yaml and NN-* module folders",
        )

    def handle(self, *args, slug: str, path: Path, force: bool, **options) -> None:
        course = Course.objects.filter(slug=slug).first()
        if course is None:
            raise CommandError(f"No course with slug {slug!r}.")
        if path.exists() and not path.is_dir():
            raise CommandError(f"{path} exists and is not a folder.")
        if path.is_dir() and any(path.iterdir()):
            if not force:
                raise CommandError(f"{path} is not empty; pass --force to replace the course files in it.")
            course_folder_clear(path=path)
        course_export(course=course, path=path)
        self.stdout.write(f"Exported {slug!r} to {path}.")
