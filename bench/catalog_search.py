"""What an uncached catalog page costs on PostgreSQL: queries and milliseconds per request, in-process
(Django's test client, no HTTP), every request a page no cache holds. Prints figures; it times nothing
in CI.

    BENCH_DB_NAME=courses_bench_fts BENCH_REDIS_DBS=3,4 .venv/bin/python -m bench.catalog_search [--courses N]

It drops and re-creates ``BENCH_DB_NAME``, migrates it, COPYs a catalog of ``--courses`` published
courses (3 modules of 4 lessons and a quiz each, one instructor, a title of three words, a summary of
15 and a description of 60 with a "the" in every sentence, drawn Zipf-like from a vocabulary of 3,000
words that starts with ``bench.dataset.WORDS``, so one of those is in 15-20% of the courses and the
bench's three-word term in a few dozen), then requests each kind of page ``--requests``
times with a new query string each time (so neither the shared nor the per-process cache has it).
It runs on any checkout (the counts columns are filled when the schema has them), so the same script
measures main and a branch. ``--trgm`` also times a typo-tolerant ``pg_trgm`` search of titles and
summaries (an index made here, not by the project's migrations) against the full-text search."""

import argparse
import random
import statistics
import time

from bench.dataset import WORDS
from bench.env import ENV, log
from bench.stack import migrate, reset_database, reset_redis

MODULES, LESSONS = 3, 4

KINDS = {
    "catalog, page 1 (no search)": lambda rng, n: f"/api/courses/?n={n}",
    "search, one word": lambda rng, n: f"/api/courses/?search={rng.choice(WORDS)}&n={n}",
    "search, three words (the bench's term)": lambda rng, n: (
        "/api/courses/?search=" + "+".join(rng.choice(WORDS) for _ in range(3)) + f"&n={n}"
    ),
    "search, a prefix ('pric')": lambda rng, n: f"/api/courses/?search=pric&n={n}",
    "search, one word + filter + ordering": lambda rng, n: (
        f"/api/courses/?search={rng.choice(WORDS)}&max_hours=5&ordering=-published_at&n={n}"
    ),
    "search, a stop word only ('the')": lambda rng, n: f"/api/courses/?search=the&n={n}",
    "search, a typo ('pricnig')": lambda rng, n: f"/api/courses/?search=pricnig&n={n}",
}


def load_catalog(courses: int) -> None:
    import psycopg

    from bench.dataset import copy_rows

    rng = random.Random(22)
    syllables = ["ka", "lo", "mi", "ra", "tu", "ve", "no", "si", "be", "da", "fo", "ge", "hi", "ju", "pe", "ri", "so"]
    vocabulary = list(WORDS)
    while len(vocabulary) < 3000:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        if word not in vocabulary:
            vocabulary.append(word)
    weights = [1 / (rank + 100) for rank in range(len(vocabulary))]

    def words(k: int) -> list[str]:
        return rng.choices(vocabulary, weights, k=k)

    ts = "2026-01-01T00:00:00+00:00"
    with psycopg.connect(ENV["DATABASE_URL"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'courseware_course'")
        columns = {name for (name,) in cur.fetchall()}
        with_counts = "module_count" in columns
        # Since live versions (issue 20) a course row names its published version; the catalog list
        # reads only the row, so version 1 stands for it here (no version rows are made).
        with_versions = "published_version" in columns
        cols = [
            "id", "created_at", "updated_at", "slug", "title", "summary", "description", "is_published",
            "published_at", "estimated_hours", "sequential", "content_version",
        ]  # fmt: skip
        if with_counts:
            cols += ["module_count", "lesson_count", "quiz_count"]
        if with_versions:
            cols += ["published_version"]

        def course_rows():
            for i in range(1, courses + 1):
                title = " ".join(words(3)).title()
                summary = " ".join(words(15)).capitalize() + "."
                description = " ".join(f"The {' '.join(words(6))}." for _ in range(10))
                row = [i, ts, ts, f"c-{i}", f"{title} {i}", summary, description, True, ts, 1 + i % 9, False, 1]
                yield (
                    row
                    + ([MODULES, MODULES * LESSONS, MODULES] if with_counts else [])
                    + ([1] if with_versions else [])
                )

        copy_rows(cur, "courseware_course", cols, course_rows())
        user_cols = [
            "id", "password", "is_superuser", "username", "first_name", "last_name", "is_staff", "is_active",
            "date_joined", "email", "email_reminders", "updated_at", "name",
        ]  # fmt: skip
        copy_rows(cur, "accounts_user", user_cols,
                  ((i, "!", False, f"teacher-{i}", "", "", False, True, ts, f"t{i}@example.com", True, ts,
                    f"Teacher {i}") for i in range(1, 101)))  # fmt: skip
        copy_rows(cur, "courseware_course_instructors", ["id", "course_id", "user_id"],
                  ((i, i, 1 + i % 100) for i in range(1, courses + 1)))  # fmt: skip
        modules = [(c * 10 + m, ts, ts, f"m{m}", f"Module {m}", "", m, c)
                   for c in range(1, courses + 1) for m in range(1, MODULES + 1)]  # fmt: skip
        copy_rows(cur, "courseware_module", ["id", "created_at", "updated_at", "slug", "title", "summary",
                                             "position", "course_id"], modules)  # fmt: skip
        copy_rows(
            cur,
            "lessons_lesson",
            ["id", "created_at", "updated_at", "slug", "title", "body_markdown", "body_html", "estimated_minutes",
             "position", "course_id", "module_id"],
            ((mid * 10 + p, ts, ts, f"m{m}-l{p}", f"Lesson {p}", "Text.", "<p>Text.</p>", 5, p, c, mid)
             for (mid, _, _, m, _, _, _, c) in modules for p in range(1, LESSONS + 1)),
        )  # fmt: skip
        copy_rows(
            cur,
            "quizzes_quiz",
            ["id", "created_at", "updated_at", "slug", "title", "description", "position", "pass_percent",
             "max_attempts", "scoring", "reveal_answers", "shuffle", "course_id", "module_id", "key_version"],
            ((mid, ts, ts, f"q{m}", f"Quiz {m}", "", 1, 70, 3, "all_or_nothing", "after_pass_or_last_attempt",
              False, c, mid, 0) for (mid, _, _, m, _, _, _, c) in modules),
        )  # fmt: skip
        conn.commit()
        if with_counts:  # what the COPY set is what the rows count
            cur.execute(
                "SELECT count(*) FROM courseware_course c WHERE module_count <> (SELECT count(*) FROM "
                "courseware_module m WHERE m.course_id = c.id) OR lesson_count <> (SELECT count(*) FROM "
                "lessons_lesson l WHERE l.course_id = c.id) OR quiz_count <> (SELECT count(*) FROM quizzes_quiz q "
                "WHERE q.course_id = c.id)"
            )
            assert cur.fetchone()[0] == 0
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    log(f"loaded {courses} courses ({'with' if with_counts else 'without'} counts on the row)")


def measure(requests: int) -> dict[str, dict]:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="localhost")
    rng = random.Random(7)
    out: dict[str, dict] = {}
    n = 0
    for label, url_of in KINDS.items():
        ms, cpu_ms, sql_ms, queries, counts = [], [], [], [], []
        for i in range(requests + 3):  # the first three warm connections and code paths
            n += 1
            url = url_of(rng, n)
            with CaptureQueriesContext(connection) as ctx:
                t, c = time.perf_counter(), time.process_time()
                r = client.get(url)
                elapsed, cpu = (time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000
            assert r.status_code == 200, (url, r.status_code, r.content[:300])
            if i >= 3:
                ms.append(elapsed)
                cpu_ms.append(cpu)
                sql_ms.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
                queries.append(len(ctx.captured_queries))
                counts.append(r.json()["count"])
        cache.clear()  # this run's own Redis DB (BENCH_REDIS_DBS)
        out[label] = {
            "queries": sorted(set(queries)),
            "ms": statistics.median(ms),
            "p90": statistics.quantiles(ms, n=10)[-1],
            "cpu_ms": statistics.median(cpu_ms),
            "sql_ms": statistics.median(sql_ms),
            "matches": statistics.median(counts),
            "page_sql": next(
                (q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT "courseware_course"."id"')), ""
            ),
        }
    return out


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) " + sql)
        return "\n".join(row[0] for row in cur.fetchall())


def trigram_probe(courses: int, runs: int) -> dict:
    """A typo-tolerant search of titles and summaries with pg_trgm (``<%``: word similarity ≥ 0.6,
    through a GIN trigram index), the best 20 by similarity, against the stored full-text search."""
    from django.db import connection

    typos = ["pricnig", "audiance", "marekt", "storry", "royalti", "playlsit", "comunity", "feedbak"]
    doc = "(title || ' ' || summary)"
    with connection.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        t = time.perf_counter()
        cur.execute(f"CREATE INDEX bench_course_trgm ON courseware_course USING gin ({doc} gin_trgm_ops)")
        build_s = time.perf_counter() - t
        cur.execute("SELECT pg_relation_size('bench_course_trgm'), pg_relation_size('courseware_course')")
        trgm_bytes, table_bytes = cur.fetchone()
        cur.execute("ANALYZE courseware_course")

        def timed(sql: str, params) -> tuple[float, int]:
            t = time.perf_counter()
            cur.execute(sql, params)
            rows = cur.fetchall()
            return (time.perf_counter() - t) * 1000, len(rows)

        trgm, fts, found = [], [], []
        for _ in range(runs):
            for typo in typos:
                ms, n = timed(
                    f"SELECT id FROM courseware_course WHERE is_published AND %s <%% {doc} "  # noqa: S608
                    f"ORDER BY %s <<-> {doc} LIMIT 20",
                    [typo, typo],
                )
                trgm.append(ms)
                found.append(n)
                ms, _ = timed(
                    "SELECT id FROM courseware_course WHERE is_published AND search_document @@ "
                    "to_tsquery('english', %s) ORDER BY ts_rank(search_document, to_tsquery('english', %s)) DESC "
                    "LIMIT 20",
                    [typo[:4] + ":*", typo[:4] + ":*"],
                )
                fts.append(ms)
        cur.execute("DROP INDEX bench_course_trgm")
    return {
        "trgm_ms": statistics.median(trgm),
        "fts_ms": statistics.median(fts),
        "typos_with_a_hit": f"{sum(1 for n in found[: len(typos)] if n)}/{len(typos)}",
        "build_s": build_s,
        "index_mb": trgm_bytes / 1e6,
        "table_mb": table_bytes / 1e6,
        "courses": courses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--courses", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--trgm", action="store_true")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    reset_database()
    reset_redis()
    migrate()
    import django

    django.setup()
    load_catalog(args.courses)
    results = measure(args.requests)
    print(f"\n{args.courses} published courses, {args.requests} uncached requests per kind (in-process, PostgreSQL)")
    print(
        "| page | queries | ms / request (median) | p90 | this process's CPU ms | SQL ms (median) | matches |\n"
        "|---|---:|---:|---:|---:|---:|---:|"
    )
    for label, r in results.items():
        queries = "/".join(str(q) for q in r["queries"])
        print(
            f"| {label} | {queries} | {r['ms']:.1f} | {r['p90']:.1f} | {r['cpu_ms']:.1f} | {r['sql_ms']:.1f} "
            f"| {r['matches']:.0f} |"
        )
    if args.explain:
        for label in ("search, one word", "search, three words (the bench's term)"):
            sql = results[label]["page_sql"]
            if not sql:  # no match: the paginator asked for no page
                continue
            print(f"\n{label}: the page's query\n{sql}\n{explain(sql)}")
    if args.trgm:
        t = trigram_probe(args.courses, runs=10)
        print(
            f"\npg_trgm on title || summary, {t['courses']} courses: index {t['index_mb']:.1f} MB (table "
            f"{t['table_mb']:.1f} MB), built in {t['build_s']:.2f} s; typo search (word similarity, best 20) "
            f"{t['trgm_ms']:.2f} ms median vs full-text prefix search {t['fts_ms']:.2f} ms; typos found: "
            f"{t['typos_with_a_hit']}"
        )


if __name__ == "__main__":
    main()
