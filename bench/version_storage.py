"""What a publish costs on the 300-lesson bench course (30 modules of 10 lessons of about 400 words,
as ``bench.dataset`` makes it): the bytes the first version takes, the bytes a one-lesson edit's
publish adds (content-addressed blobs and copy-on-write version rows: it should be one lesson's
size, not the course's), and the time of a publish, its dry run and a diff. Figures are printed.

    .venv/bin/python -m bench.version_storage          # PostgreSQL database courses_bench_versions

It drops and recreates its own database (``BENCH_DB_NAME``, default ``courses_bench_versions``)."""

import os
import random
import statistics
import time

os.environ.setdefault("BENCH_DB_NAME", "courses_bench_versions")

from bench.env import DB_NAME, ENV, PG, log

MODULES, LESSONS_PER_MODULE = 30, 10
TABLES = ("courseware_contentblob", "courseware_versionitem", "courseware_courseversion")


def _recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def _sizes() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        out = {}
        for table in TABLES:
            cursor.execute("VACUUM ANALYZE " + table)
            cursor.execute("SELECT pg_total_relation_size(%s)", [table])
            out[table] = cursor.fetchone()[0]
        cursor.execute("SELECT COALESCE(SUM(size), 0), COUNT(*) FROM courseware_contentblob")
        out["blob_json_bytes"], out["blobs"] = cursor.fetchone()
        cursor.execute("SELECT COUNT(*) FROM courseware_versionitem")
        out["version_rows"] = cursor.fetchone()[0]
    return out


def _timed(fn, repeat: int = 5) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), result


def main() -> None:
    _recreate_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from bench.dataset import lesson_markdown
    from courseware.models import Course, Module
    from courseware.versions.impact import publish_impact
    from courseware.versions.selectors import version_diff
    from courseware.versions.services import version_publish
    from lessons.markdown import render_markdown
    from lessons.models import Lesson
    from lessons.services import lesson_update

    rng = random.Random(42)
    course = Course.objects.create(slug="big", title="The Big Course", summary="300 lessons.", estimated_hours=50)
    lessons = []
    for m in range(1, MODULES + 1):
        module = Module.objects.create(course=course, slug=f"m{m}", title=f"Module {m}", position=m)
        for p in range(1, LESSONS_PER_MODULE + 1):
            body = lesson_markdown(rng)
            lessons.append(
                Lesson(
                    course=course, module=module, slug=f"m{m}-l{p}", title=f"Lesson {m}.{p}", position=p,
                    body_markdown=body, body_html=render_markdown(body), estimated_minutes=3,
                )
            )  # fmt: skip
    Lesson.objects.bulk_create(lessons)
    empty = _sizes()
    t = time.perf_counter()
    version_publish(course=course, actor=None)
    first_ms = (time.perf_counter() - t) * 1000
    v1 = _sizes()

    lesson = Lesson.objects.get(course=course, slug="m15-l5")
    lesson_update(lesson=lesson, body_markdown=lesson.body_markdown + "\n\nOne more sentence, added later.")
    dry_ms, impact = _timed(lambda: publish_impact(course=Course.objects.get(pk=course.pk)))
    assert impact["items_changed"] == 1, impact
    t = time.perf_counter()
    version_publish(course=Course.objects.get(pk=course.pk), actor=None)
    second_ms = (time.perf_counter() - t) * 1000
    v2 = _sizes()
    diff_ms, diff = _timed(lambda: version_diff(course=course, number=2, against=1))
    assert len(diff["lessons"]["changed"]) == 1

    lesson_json = Lesson.objects.filter(pk=lesson.pk).values_list("body_markdown", "body_html").get()
    log(
        f"bench course: {MODULES * LESSONS_PER_MODULE} lessons, {Lesson.objects.count()} rows, on {ENV['DATABASE_URL']}"
    )
    print("| figure | value |\n|---|---:|")
    rows = [
        ("version 1: blobs / version rows", f"{v1['blobs']} / {v1['version_rows']}"),
        ("version 1: canonical JSON of the blobs", f"{v1['blob_json_bytes']:,} B"),
        ("version 1: on disk (3 tables with indexes and TOAST)", f"{sum(v1[t] - empty[t] for t in TABLES):,} B"),
        ("one-lesson edit: blobs added", f"{v2['blobs'] - v1['blobs']}"),
        ("one-lesson edit: version rows added", f"{v2['version_rows'] - v1['version_rows']}"),
        ("one-lesson edit: canonical JSON added", f"{v2['blob_json_bytes'] - v1['blob_json_bytes']:,} B"),
        ("one-lesson edit: on disk added (3 tables)", f"{sum(v2[t] - v1[t] for t in TABLES):,} B"),
        ("the edited lesson's Markdown + HTML", f"{sum(len(x.encode()) for x in lesson_json):,} B"),
        ("publish version 1 (300 lessons)", f"{first_ms:.0f} ms"),
        ("dry run of the one-lesson edit (median of 5)", f"{dry_ms:.0f} ms"),
        ("publish of the one-lesson edit", f"{second_ms:.0f} ms"),
        ("diff v2 against v1 (median of 5)", f"{diff_ms:.0f} ms"),
    ]  # fmt: skip
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
