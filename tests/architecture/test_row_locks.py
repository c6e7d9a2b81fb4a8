"""Row locks that do not block learners' writes.

A transaction that inserts a row pointing at another (a completion at its lesson, an enrollment at
its course, anything at its user) makes PostgreSQL take ``FOR KEY SHARE`` on the row pointed at, to
check the key. ``SELECT … FOR UPDATE`` conflicts with that; ``FOR NO KEY UPDATE`` does not, and still
excludes every other locker. So a service that locks a row other tables point at, to serialise a
change that keeps its key, locks it ``select_for_update(no_key=True)``: a plain ``FOR UPDATE`` on the
course row once deadlocked a publish against learners' completions (``docs/reliability.md``).

And ``select_related`` under ``select_for_update`` locks every joined row too (PostgreSQL locks each
table of the join unless ``OF`` names them): a lock on a certificate would also lock its learner and
its course. Such a lock names its own rows with ``of=("self",)``.

The check reads every ``select_for_update`` in the project's code, and every SQL string that says
``FOR UPDATE`` (raw statements write ``FOR NO KEY UPDATE`` themselves). A lock that really needs the key
lock (it deletes the row, or changes its key) says why on its line with a ``# key lock:`` comment."""

import ast
import functools
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]
APPS = ["accounts", "notifications", "events", "courseware", "lessons", "quizzes", "learning", "studio", "config"]


UNKNOWN = "a queryset from elsewhere"  # a selector's queryset: its model cannot be read here


def _pointed_at() -> set[str]:
    """Names of the models some other table has a foreign key to (and the locks whose model this
    check cannot tell, which are held to the same rule)."""
    names = {UNKNOWN}
    for model in apps.get_models():
        if any(rel.one_to_many or rel.one_to_one for rel in model._meta.related_objects):
            names.add(model.__name__)
    return names


def _chain(node: ast.expr) -> list[ast.expr]:
    """The calls and attributes of one method chain, innermost first."""
    links = []
    while isinstance(node, ast.Call | ast.Attribute):
        links.append(node)
        node = node.func if isinstance(node, ast.Call) else node.value
    links.append(node)
    return links[::-1]


@functools.cache
def _modules() -> list[tuple[Path, list[str], list[ast.AST]]]:
    """The project's modules: (path from the root, source lines, every AST node)."""
    modules = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            source = path.read_text()
            modules.append((path.relative_to(ROOT), source.splitlines(), list(ast.walk(ast.parse(source)))))
    return modules


def _locks() -> list[tuple[str, int, str, str, bool, bool, bool]]:
    """Each ``select_for_update`` call: (file, line, model, source line, no_key, of, joins)."""
    found = []
    for relpath, lines, nodes in _modules():
        if "migrations" in relpath.parts:
            continue
        inner = {id(n.value) for n in nodes if isinstance(n, ast.Attribute)}
        inner |= {id(n.func) for n in nodes if isinstance(n, ast.Call)}
        for call in (n for n in nodes if isinstance(n, ast.Call) and id(n) not in inner):
            links = _chain(call)
            lockers = [
                n
                for n in links
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "select_for_update"
            ]
            if not lockers:
                continue
            [lock] = lockers
            named = isinstance(links[0], ast.Name) and isinstance(links[1], ast.Attribute)
            model = links[0].id if named and links[1].attr == "objects" else UNKNOWN
            kwargs = {k.arg: k.value for k in lock.keywords}
            no_key = isinstance(kwargs.get("no_key"), ast.Constant) and kwargs["no_key"].value is True
            joins = any(
                isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "select_related"
                for n in links
            )
            found.append((relpath, lock.lineno, model, lines[lock.lineno - 1], no_key, "of" in kwargs, joins))
    return found


def test_the_check_finds_the_locks_it_reads():
    locks = _locks()
    models = {model for _, _, model, *_ in locks}
    assert {"Course", "Module", "Lesson", "Quiz", "Enrollment", "Certificate"} <= models, models
    assert {"Course", "Lesson", "Enrollment"} <= _pointed_at()


def test_rows_other_tables_point_at_are_locked_without_the_key_lock():
    pointed_at = _pointed_at()
    wrong = [
        f"{path}:{line}: {model} ({text.strip()})"
        for path, line, model, text, no_key, _, _ in _locks()
        if model in pointed_at and not no_key and "# key lock:" not in text
    ]
    assert not wrong, "lock these with select_for_update(no_key=True), or say why not (# key lock:):\n" + "\n".join(
        wrong
    )


def test_a_lock_with_joined_rows_names_the_rows_it_locks():
    wrong = [
        f"{path}:{line}: {model} ({text.strip()})"
        for path, line, model, text, _, of, joins in _locks()
        if joins and not of
    ]
    assert not wrong, 'select_related under select_for_update locks the joined rows too: add of=("self",):\n' + (
        "\n".join(wrong)
    )


def test_raw_statements_lock_without_the_key_lock():
    wrong = []
    for relpath, lines, nodes in _modules():
        docstrings = {id(n.value) for n in nodes if isinstance(n, ast.Expr)}
        for node in nodes:
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)) or id(node) in docstrings:
                continue
            text = lines[node.lineno - 1]
            if "FOR UPDATE" in node.value.replace("FOR NO KEY UPDATE", "") and "# key lock:" not in text:
                wrong.append(f"{relpath}:{node.lineno}: {text.strip()}")
    assert not wrong, "write FOR NO KEY UPDATE, or say why not (# key lock:):\n" + "\n".join(wrong)
