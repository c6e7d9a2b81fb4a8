"""The raw floors' names, shared by the app that serves them (``bench/floor_wsgi.py``), the data set
that creates their table and the runs that drive them; no imports, so the server imports it safely."""

FLOOR_PREFIX = "/bench/floor/"
FLOOR_TABLE = "bench_floor_completion"
FLOOR_COURSE_ID = 1  # the big course: every learner is enrolled (bench.dataset)
FLOOR_LIST = "bench:floor:write"
FLOOR_DDL = (
    f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (learner_id integer NOT NULL, lesson_id integer NOT NULL, "
    "completed_at timestamptz NOT NULL, PRIMARY KEY (learner_id, lesson_id))"
)
