"""The shape of the house holds: apps import only the layers below them, and no module imports itself
back through others. Read from the code's own imports (grimp: every import, at module level or inside
a function, ``TYPE_CHECKING`` ones too), so a cycle dodged by a function-level import still fails.

The layers, bottom up (README, "Architecture"); apps on one line are siblings and use neither way:

    config (framework glue)
    accounts
    notifications
    events
    courseware
    lessons | quizzes
    learning | studio

``config``'s composition root (settings, URLs, the Celery app, WSGI/ASGI) is the one place that may
name every app; it is left out of the layer check and kept in the cycle check. The benchmark package
(``bench/``) stands outside the layers and is held to the cycle check too."""

import grimp
import pytest

LAYERS = [
    ("config",),
    ("accounts",),
    ("notifications",),
    ("events",),  # the outbox and webhooks: courseware, lessons, quizzes and learning write events;
    # it sends its one email through notifications, so it sits above it
    ("courseware",),
    ("lessons", "quizzes"),
    ("learning", "studio"),
]
APPS = [app for layer in LAYERS for app in layer]
RANK = {app: rank for rank, layer in enumerate(LAYERS) for app in layer}
COMPOSITION_ROOT = {
    "config.urls",
    "config.celery",
    "config.wsgi",
    "config.asgi",
    "config.settings",
    "config.test_settings",
}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*APPS, "bench", include_external_packages=False, cache_dir=None)


def _app(module: str) -> str:
    return module.split(".", 1)[0]


def _arrows(graph: grimp.ImportGraph) -> list[tuple[str, str]]:
    return sorted(
        (importer, imported)
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
        if imported != importer
    )


def test_every_app_imports_only_the_layers_below_it(graph):
    wrong = []
    for importer, imported in _arrows(graph):
        if importer in COMPOSITION_ROOT or _app(importer) not in RANK:
            continue
        a, b = _app(importer), _app(imported)
        if a != b and RANK[b] >= RANK[a]:
            lines = graph.get_import_details(importer=importer, imported=imported)
            where = ", ".join(f"line {d['line_number']}" for d in lines) or "?"
            wrong.append(f"{importer} -> {imported} ({where}): {a} may use only {', '.join(_below(a)) or 'nothing'}")
    assert not wrong, "imports that point up or sideways:\n" + "\n".join(wrong)


def _below(app: str) -> list[str]:
    return [other for other in APPS if RANK[other] < RANK[app]]


def _cycles(nodes: list[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_module_imports_itself_back(graph):
    edges: dict[str, set[str]] = {}
    for importer, imported in _arrows(graph):
        # A package's __init__ and its own submodules are one unit when Python imports them.
        if imported.startswith(importer + ".") or importer.startswith(imported + "."):
            continue
        edges.setdefault(importer, set()).add(imported)
    cycles = _cycles(sorted(graph.modules), edges)
    assert not cycles, "import cycles between modules:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_no_import_cycle_between_apps(graph):
    edges: dict[str, set[str]] = {}
    for importer, imported in _arrows(graph):
        if importer in COMPOSITION_ROOT or _app(importer) not in RANK:
            continue
        if _app(importer) != _app(imported):
            edges.setdefault(_app(importer), set()).add(_app(imported))
    assert not _cycles(APPS, edges)


def test_the_guard_sees_a_cycle_when_there_is_one():
    """The cycle finder itself: a planted circle is found, a chain is not."""
    assert _cycles(["a", "b", "c"], {"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c"]]
    assert _cycles(["a", "b", "c"], {"a": {"b"}, "b": {"c"}}) == []
