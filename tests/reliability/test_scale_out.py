"""Scale-out on the engines we use: two app hosts and two Celery workers, each in a network namespace
of its own (tests/reliability/netns.py), sharing the one PostgreSQL database and the one Redis
(cache and broker) through the root namespace. Learners enroll, read and finish a course through
both hosts; one host and one worker are SIGKILLed mid-load and the learners carry on through the
survivor, as a load balancer that takes a dead host out of rotation would have them.

Then: every acknowledged write is in the database, every learner who finished holds exactly one
certificate and one certificate email (queued or sent, none sent twice), the surviving host
answered every request sent after the kill, and a course edited through either host reads the
same on the other at once.

The killed worker is the one issuing certificates (``default,progress``); the survivor consumes
every queue. Mail goes only through the survivor: a sender killed between the SMTP server's
acceptance and the commit recording it sends that message again on redelivery (docs/reliability.md),
which is not what this test is about.

PostgreSQL + Redis runs as root only (``ip netns`` needs it); skipped otherwise."""

import contextlib
import itertools
import os
import random
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis

from courseware.models import Certificate, Enrollment
from learning.progress.tasks import reconcile
from lessons.models import Lesson, LessonCompletion
from notifications.models import OutboundEmail
from tests.factories import InstructorFactory, UserFactory, build_course
from tests.reliability.conftest import token_for
from tests.reliability.netns import Host, Network, netns_unavailable
from tests.reliability.stack import GUNICORN, Answer, gunicorn_env, record_figures, request, wait_started
from tests.worker import QUEUES, ROOT, database_url_for_tests, requires_worker, wait_until

pytestmark = [
    pytest.mark.faults,
    pytest.mark.worker,
    pytest.mark.postgres,
    requires_worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(180),
]

LEARNERS, LESSONS = 48, 5
CLIENTS = 12  # learners taking the course at the same time
APP_PORT = 8000
PG_PORT, REDIS_PORT = 5432, 6379


def via(url: str, gateway: str) -> str:
    """``url`` (on 127.0.0.1) as a host in a namespace reaches it: through the forwarder on its gateway."""
    parts = urlsplit(url)
    netloc = parts.netloc.replace(parts.hostname or "", gateway, 1)
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass
class AppHost:
    name: str
    host: Host
    process: subprocess.Popen
    log_path: Path
    alive: bool = True

    def call(self, method: str, path: str, **kwargs) -> Answer:
        return request(APP_PORT, method, path, host=self.host.address, **kwargs)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the master and its workers at once (one process group): requests in flight die."""
        self.alive = False
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)


def start_app_host(name: str, host: Host, env: dict[str, str], tmp: Path) -> AppHost:
    """gunicorn with the project's configuration (config/gunicorn.conf.py), inside the host's namespace."""
    log_path = tmp / f"{name}.log"
    command = host.command(str(GUNICORN), "-c", "config/gunicorn.conf.py", "config.wsgi:application")
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    app = AppHost(name=name, host=host, process=process, log_path=log_path)
    wait_started(
        name,
        process,
        live=lambda: app.call("GET", "/livez", timeout=2).status == 200,
        log=app.log,
        stop=app.kill,
        timeout=45,
    )
    return app


@dataclass
class Cluster:
    network: Network
    apps: list[AppHost]
    workers: list  # tests.worker.Worker, in their namespaces
    cache_url: str
    cache_prefix: str
    log: list[str] = field(default_factory=list)


@pytest.fixture
def cluster(live_celery, settings, tmp_path) -> Iterator[Cluster]:
    reason = netns_unavailable()
    if reason:
        pytest.skip(reason)
    network = Network()
    apps: list[AppHost] = []
    workers: list = []
    cache_url = os.environ.get("REDIS_URL") or live_celery.broker_url
    cache_prefix = f"scale-out-{uuid.uuid4().hex}"
    try:
        hosts = [network.add_host() for _ in range(4)]
        network.forward(PG_PORT)
        network.forward(REDIS_PORT)

        def shared(host: Host) -> dict[str, str]:
            return {
                "DATABASE_URL": via(database_url_for_tests(), host.gateway),
                "CELERY_BROKER_URL": via(live_celery.broker_url, host.gateway),
                "REDIS_URL": via(cache_url, host.gateway),
                "CACHE_KEY_PREFIX": cache_prefix,
            }

        for index, host in enumerate(hosts[:2]):
            env = gunicorn_env(database_url="", secret_key=settings.SECRET_KEY, **shared(host))
            env.update(
                GUNICORN_BIND=f"{host.address}:{APP_PORT}",
                WEB_CONCURRENCY="2",  # two hosts share this machine's cores with two workers
                ALLOWED_HOSTS=",".join(h.address for h in hosts[:2]),
            )
            apps.append(start_app_host(f"app-{'ab'[index]}", host, env, tmp_path))
        # The first worker issues (and is killed); the second consumes every queue and sends all mail.
        for host, queues in ((hosts[2], "default,progress"), (hosts[3], QUEUES)):
            workers.append(live_celery.start_worker(queues, netns=host.namespace, **shared(host)))
        yield Cluster(network=network, apps=apps, workers=workers, cache_url=cache_url, cache_prefix=cache_prefix)
    finally:
        for app in apps:
            app.kill()
        for worker in workers:
            worker.kill()
        network.destroy()
        _wait_for_sessions_to_end()
        with contextlib.suppress(redis.RedisError):
            client = redis.Redis.from_url(cache_url, socket_connect_timeout=1)
            for key in client.scan_iter(match=f"*{cache_prefix}*", count=1000):
                client.delete(key)


def _wait_for_sessions_to_end() -> None:
    """The killed hosts' and workers' database sessions end once their forwarders are gone; wait for
    that, so the test database can be dropped at the end of the run."""
    from django.db import connection

    def alone() -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return cursor.fetchone()[0] == 0

    with contextlib.suppress(AssertionError):
        wait_until(alone, timeout=15, interval=0.2, what="the hosts' database sessions to end")


def ok(answer: Answer) -> bool:
    return 200 <= answer.status < 300


def test_two_hosts_and_two_workers_lose_nothing_and_double_nothing_when_one_of_each_dies(cluster, live_celery):
    host_a, host_b = cluster.apps
    issuer = cluster.workers[0]  # the other survives
    instructor = InstructorFactory()
    course = build_course(modules=1, lessons_per_module=LESSONS, quiz_per_module=False)
    course.instructors.add(instructor)
    lessons = list(Lesson.objects.filter(course=course).order_by("position").values_list("pk", flat=True))
    learners = [UserFactory() for _ in range(LEARNERS)]
    tokens = {learner.pk: token_for(learner) for learner in learners}
    author = token_for(instructor)
    slug = course.slug
    per_learner = 3 + 2 * LESSONS  # enroll, course page, catalog, then each lesson read and completed
    total = LEARNERS * per_learner

    lock = threading.Lock()
    answered = 0
    round_robin = itertools.count()
    acknowledged_enrollments: set[int] = set()
    acknowledged_completions: set[tuple[int, int]] = set()
    after_kill: list[Answer] = []  # every request the survivor got after the host was killed
    failed_over = 0  # requests lost with the killed host and sent again to the survivor
    not_ok: list[tuple[str, str, int, bytes]] = []
    killed = threading.Event()

    def send(method: str, path: str, token: str | None = None) -> Answer:
        """Through the next live host; a request that dies with its host goes to the survivor, as a
        load balancer's retry would send it."""
        nonlocal answered, failed_over
        live = [app for app in cluster.apps if app.alive]
        app = live[next(round_robin) % len(live)]
        sent_after_kill = killed.is_set()
        answer = app.call(method, path, token=token)
        if answer.status == 0 and not app.alive:
            with lock:
                failed_over += 1
            app, sent_after_kill = host_a, True
            answer = app.call(method, path, token=token)
        with lock:
            answered += 1
            if sent_after_kill:
                after_kill.append(answer)
            if not ok(answer):
                not_ok.append((app.name, f"{method} {path}", answer.status, answer.body[:300]))
        return answer

    def journey(learner) -> None:
        token = tokens[learner.pk]
        if ok(send("POST", f"/api/courses/{slug}/enroll/", token)):
            with lock:
                acknowledged_enrollments.add(learner.pk)
        send("GET", f"/api/courses/{slug}/")
        for lesson_id in lessons:
            send("GET", f"/api/lessons/{lesson_id}/", token)
            if ok(send("POST", f"/api/lessons/{lesson_id}/complete/", token)):
                with lock:
                    acknowledged_completions.add((learner.pk, lesson_id))
        send("GET", "/api/courses/?page_size=20")

    # --- A content change through one host reads the same on the other, both ways -----------------
    def titles_on(app: AppHost, reads: int = 6) -> set[str]:
        # Fresh connections: the reads land on each of the host's gunicorn workers.
        answers = [app.call("GET", f"/api/courses/{slug}/") for _ in range(reads)]
        assert all(a.status == 200 for a in answers), [(a.status, a.body[:200]) for a in answers]
        return {a.json()["title"] for a in answers}

    content_checks: list[str] = []
    content_done = threading.Event()

    def change_content() -> None:
        assert titles_on(host_a) == titles_on(host_b) == {course.title}  # both hosts have it cached
        for writer, reader in ((host_b, host_a), (host_a, host_b)):
            title = f"Renamed through {writer.name}"
            changed = writer.call("PATCH", f"/api/courses/{slug}/", token=author, body={"title": title})
            assert changed.status == 200, changed.body
            assert titles_on(reader) == {title}, f"{reader.name} still serves the old title"
            assert titles_on(writer) == {title}
            content_checks.append(f"{writer.name}->{reader.name}")

    faults: dict[str, int] = {}
    figures_at_kill: dict[str, int] = {}
    injector_errors: list[BaseException] = []

    def content() -> None:
        try:
            wait_until(lambda: answered >= total // 10, timeout=90, interval=0.01, what="a tenth of the load")
            change_content()
        except BaseException as exc:
            injector_errors.append(exc)
        finally:
            content_done.set()

    def inject() -> None:
        try:
            # Both hosts take part in the content check first: the kill waits for it.
            wait_until(
                lambda: content_done.is_set() and answered >= total // 3, timeout=90, interval=0.005, what="a third"
            )
            killed.set()
            host_b.kill()
            faults["app-b SIGKILL"] = answered
            wait_until(lambda: answered >= total // 2, timeout=90, interval=0.005, what="half the load")
            issuer.kill()
            faults["issuing worker SIGKILL"] = answered
            figures_at_kill.update(
                certificates=Certificate.objects.filter(course=course).count(),
                unacknowledged_messages=live_celery.unacknowledged(),
            )
        except BaseException as exc:
            injector_errors.append(exc)

    order = list(learners)
    random.Random(22).shuffle(order)
    injectors = [threading.Thread(target=inject), threading.Thread(target=content)]
    started = time.monotonic()
    for thread in injectors:
        thread.start()
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        list(pool.map(journey, order))
    load_seconds = time.monotonic() - started
    for thread in injectors:
        thread.join(timeout=60)
    if injector_errors:
        raise injector_errors[0]

    # --- Nothing acknowledged is lost, the survivor kept serving --------------------------------------
    assert list(faults) == ["app-b SIGKILL", "issuing worker SIGKILL"], faults
    assert faults["issuing worker SIGKILL"] < total, "the load ended before the kills: nothing was tested"
    assert content_checks == ["app-b->app-a", "app-a->app-b"]
    assert not not_ok, not_ok[:10]
    assert after_kill and all(ok(a) for a in after_kill)
    assert host_a.call("GET", "/livez").status == 200
    enrolled = set(Enrollment.objects.filter(course=course).values_list("learner_id", flat=True))
    completed = set(LessonCompletion.objects.filter(course=course).values_list("learner_id", "lesson_id"))
    assert acknowledged_enrollments - enrolled == set()
    assert acknowledged_completions - completed == set()
    assert len(acknowledged_completions) == LEARNERS * LESSONS  # every learner finished the course

    # --- The surviving worker (and the reconcile sweep, as beat sends it) catch up ------------------
    def caught_up() -> bool:
        done = Enrollment.objects.filter(course=course, status=Enrollment.Status.COMPLETED, progress=100).count()
        certificates = Certificate.objects.filter(course=course).count()
        emails = OutboundEmail.objects.filter(kind="certificate").count()
        return done == certificates == emails == LEARNERS

    reconcile_runs, catch_up_started = 0, time.monotonic()
    while not caught_up():
        assert time.monotonic() - catch_up_started < 60, f"no catch-up\n{live_celery.logs()}"
        reconcile.delay()
        reconcile_runs += 1
        for _ in range(30):
            if caught_up():
                break
            time.sleep(0.1)
    live_celery.wait_idle(timeout=45)  # the killed worker's unacknowledged messages: redelivered and done
    catch_up_seconds = time.monotonic() - catch_up_started

    # --- Exactly one certificate and one email per learner who finished ------------------------------
    certificates = list(Certificate.objects.filter(course=course))
    emails = list(OutboundEmail.objects.filter(kind="certificate"))
    sent = [e for e in emails if e.status == OutboundEmail.Status.SENT]
    attachments = [
        part.get_filename()
        for message in live_celery.certificate_mails()
        for part in message.iter_attachments()
        if (part.get_filename() or "").startswith("certificate-")
    ]
    record_figures(
        "scale_out_two_hosts_two_workers",
        learners=LEARNERS,
        requests=answered,
        load_seconds=round(load_seconds, 1),
        fault_points=faults,
        at_worker_kill=figures_at_kill,
        requests_failed_over=failed_over,
        requests_after_host_kill=len(after_kill),
        reconcile_runs=reconcile_runs,
        catch_up_seconds=round(catch_up_seconds, 1),
        emails_sent=len(sent),
        emails_queued=len(emails) - len(sent),
        email_files=len(attachments),
        forwarder="socat" if any("socat" in str(p.args) for p in cluster.network.forwarders) else "asyncio",
    )
    assert sorted(c.learner_id for c in certificates) == sorted(learner.pk for learner in learners)
    assert sorted(e.key for e in emails) == sorted(f"certificate:{c.code}" for c in certificates)
    assert all(e.status in (OutboundEmail.Status.SENT, OutboundEmail.Status.PENDING) for e in emails)
    assert sorted(attachments) == sorted(f"certificate-{e.key.split(':', 1)[1]}.pdf" for e in sent)
    assert " ready." in issuer.log() and "succeeded" in issuer.log(), "the killed worker never took part"
