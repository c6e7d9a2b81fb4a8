"""A course's module, lesson and quiz counts, kept on its row: the catalog shows them on every entry
and reads them with the row instead of counting per request.

``course_counts_refresh`` is the one write of the three columns. Whoever changes what a course
counts calls it (or ``course_counts_recount``, which counts the rows) in the same transaction, and
then tells the platform the content changed as usual (``courseware.structure.changes``): the counts
are on cached catalog pages, which that invalidates."""

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from courseware.models import Course


def course_counts_refresh(*, course_id: int, modules: int, lessons: int, quizzes: int) -> None:
    """Set the counts the catalog shows for course ``course_id``: ``modules`` modules, ``lessons``
    lessons and ``quizzes`` quizzes (each ≥ 0). One UPDATE of the row; it does not touch
    ``updated_at`` or the content version, and a course that does not exist is ignored."""
    if min(modules, lessons, quizzes) < 0:
        raise ValueError("Counts cannot be negative.")
    Course.objects.filter(pk=course_id).update(module_count=modules, lesson_count=lessons, quiz_count=quizzes)


def course_counts_recount(*, course_id: int) -> None:
    """``course_counts_refresh`` with the counts of the course's rows as they are now (modules,
    lessons and quizzes), counted inside one UPDATE."""
    Course.objects.filter(pk=course_id).update(**course_counts_from_rows())


def course_counts_from_rows() -> dict[str, Coalesce]:
    """The three columns as expressions counting the rows, for an UPDATE of courses (one or many)."""
    return {
        "module_count": _rows_of(Course.modules.rel.related_model),
        "lesson_count": _rows_of(Course.lessons.rel.related_model),
        "quiz_count": _rows_of(Course.quizzes.rel.related_model),
    }


def _rows_of(model) -> Coalesce:
    rows = model._default_manager.filter(course=OuterRef("pk")).order_by().values("course")
    return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0)
