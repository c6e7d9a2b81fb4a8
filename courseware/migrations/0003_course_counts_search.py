"""The catalog answers from the course row: module, lesson and quiz counts kept on it (filled here
for the courses that exist), and a stored full-text search document with its GIN index (PostgreSQL;
the column is NULL on SQLite)."""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.conf import settings
from django.db import migrations, models
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

import courseware.models


def fill_counts(apps, schema_editor):
    """Every existing course's counts, recounted from its rows in one UPDATE."""
    Course = apps.get_model("courseware", "Course")

    def count_of(model):
        rows = model.objects.filter(course=OuterRef("pk")).order_by().values("course").annotate(n=Count("pk"))
        return Coalesce(Subquery(rows.values("n"), output_field=IntegerField()), 0)

    Course.objects.using(schema_editor.connection.alias).update(
        module_count=count_of(apps.get_model("courseware", "Module")),
        lesson_count=count_of(apps.get_model("lessons", "Lesson")),
        quiz_count=count_of(apps.get_model("quizzes", "Quiz")),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("courseware", "0002_enrollment_activity_seq"),
        ("lessons", "0001_initial"),
        ("quizzes", "0004_overrides"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(model_name="course", name="module_count", field=models.PositiveIntegerField(default=0)),
        migrations.AddField(model_name="course", name="lesson_count", field=models.PositiveIntegerField(default=0)),
        migrations.AddField(model_name="course", name="quiz_count", field=models.PositiveIntegerField(default=0)),
        migrations.RunPython(fill_counts, migrations.RunPython.noop),
        migrations.AddField(
            model_name="course",
            name="search_document",
            field=models.GeneratedField(
                db_persist=True,
                expression=courseware.models.CourseSearchDocument(),
                output_field=django.contrib.postgres.search.SearchVectorField(null=True),
            ),
        ),
        migrations.AddIndex(
            model_name="course",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_document"], name="course_search_document_idx"
            ),
        ),
    ]
