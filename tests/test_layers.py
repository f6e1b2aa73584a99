"""The tree is the architecture: imports only go down the layers, and no module circle exists.

docs/architecture.md draws the layers; ALLOWED below is the same picture, one arrow per pair.
Imports are read with ``ast`` from every module, including those inside functions and under
``TYPE_CHECKING``: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import dosecal

SRC = Path(__file__).resolve().parents[1] / "src"

#: Each layer and the layers it may import (the layers of docs/architecture.md, bottom first).
ALLOWED: dict[str, set[str]] = {
    "words": set(),
    "errors": {"words"},
    "model": {"words", "errors"},
    "core": {"words", "errors", "model"},
    "inputs": {"words", "errors", "model", "core"},
    "render": {"words", "errors", "model", "core"},
    "service": {"words", "errors", "model", "core", "inputs", "render"},
    "web": {"words", "errors", "model", "core", "inputs", "render", "service"},
    "cli": {"words", "errors", "model", "core", "inputs", "render", "service", "web"},
    # The package itself: the public names, each imported when first used.
    "dosecal": {"model", "core", "inputs", "render"},
    "__main__": {"cli"},
}


def module_names() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name)."""
    names = {}
    for path in sorted((SRC / "dosecal").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


MODULES = module_names()


def imports(path: Path) -> set[str]:
    """The dosecal modules ``path`` imports, anywhere in it.

    A name imported from a package counts as its module when it is one.
    """
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "dosecal"}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import; the layers read better absolute"
            if node.module and node.module.split(".")[0] == "dosecal":
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    found.add(full if full in MODULES else node.module)
    return found


GRAPH = {name: imports(path) & MODULES.keys() - {name} for name, path in MODULES.items()}


def layer(module: str) -> str:
    """The layer of a module: its first package under dosecal (or the package itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def upward(graph: dict[str, set[str]]) -> list[str]:
    """Each import that goes up a layer or sideways into a layer not allowed, as 'a -> b'."""
    found = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            if target == "dosecal" and layer(module) != "dosecal":
                continue  # the package itself is loaded before any of its modules anyway
            if layer(target) != layer(module) and layer(target) not in ALLOWED[layer(module)]:
                found.append(f"{module} -> {target}")
    return found


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every group of modules that import one another, directly or round a circle (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                group.append(top)
                if top == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_module_is_in_a_layer_of_the_architecture() -> None:
    assert {layer(m) for m in MODULES} == set(ALLOWED)
    assert len(MODULES) > 60  # the reader found the modules, not an empty folder


def test_no_import_goes_up_a_layer() -> None:
    assert upward(GRAPH) == []


def test_no_two_modules_import_each_other_even_round_a_circle() -> None:
    assert circles(GRAPH) == []


def test_the_checks_catch_an_upward_import_and_a_circle() -> None:
    """The two checks above can fail.

    Given a core module that imports the store, and a circle of three modules, they name them.
    """
    bad = {**GRAPH, "dosecal.core.build": GRAPH["dosecal.core.build"] | {"dosecal.service.store"}}
    assert upward(bad) == ["dosecal.core.build -> dosecal.service.store"]
    ring = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(ring) == [["a", "b", "c"]]
    assert circles({"a": {"a"}}) == [["a"]]


def test_the_model_is_found_where_the_architecture_says() -> None:
    """The reader really sees the imports (a model module reads the words and the errors)."""
    assert {"dosecal.model.schedule", "dosecal.model.plan"} <= GRAPH["dosecal.core.expand"]
    assert "dosecal.core.builder" in GRAPH["dosecal.core.infusion"]
    assert "dosecal.service.store" in GRAPH["dosecal.web.pages"]


def test_the_public_api_is_these_names_and_each_is_what_it_says() -> None:
    from dosecal import render
    from dosecal.core.expand import expand
    from dosecal.inputs.definitions import load, resolve
    from dosecal.model.plan import Plan

    assert sorted(dosecal.__all__) == [
        "Course", "Kind", "Occurrence", "OccurrenceId", "Plan", "RenderOptions", "Schedule",
        "Status", "__version__", "expand", "load_schedule", "render", "resolve_schedule",
    ]  # fmt: skip
    assert (dosecal.expand, dosecal.Plan, dosecal.render) == (expand, Plan, render)
    assert (dosecal.load_schedule, dosecal.resolve_schedule) == (load, resolve)
    assert all(getattr(dosecal, name) is not None for name in dosecal.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        dosecal.nothing  # noqa: B018 (the attribute access is the test)


def test_the_public_api_makes_a_calendar_from_a_builtin() -> None:
    from datetime import date

    schedule = dosecal.resolve_schedule("imatinib")
    course = dosecal.expand(schedule, dosecal.Plan(start=date(2027, 1, 4), timezone="Europe/Paris"))
    ics = dosecal.render.render("ics", course)
    assert ics.startswith(b"BEGIN:VCALENDAR") and b"DTSTART;TZID=Europe/Paris:20270104T080000" in ics


#: The format renderers and the heavy parts that the light commands never need.
HEAVY = [
    *(f"dosecal.render.{fmt}" for fmt in ("ics", "html", "layout", "pdf", "txt", "csv", "json")),
    "dosecal.service", "dosecal.web", "weasyprint", "caldav", "sqlalchemy", "flask", "icalendar", "jinja2",
]  # fmt: skip


@pytest.mark.parametrize(
    ("command", "never"),
    [
        (["--version"], [*HEAVY, "dosecal.render", "dosecal.words", "dosecal.core", "babel"]),
        # They read definitions and never expand a plan: not even the core is loaded.
        (["list"], [*HEAVY, "dosecal.core"]),
        (["show", "imatinib"], [*HEAVY, "dosecal.core"]),
    ],
)
def test_light_commands_do_not_load_renderers_the_store_or_the_web(
    command: list[str], never: list[str]
) -> None:
    code = (
        "import sys, dosecal.cli\n"
        f"sys.argv = ['dosecal', *{command!r}]\n"
        "try:\n    dosecal.cli.main()\nexcept SystemExit:\n    pass\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(done.stderr.split())
    assert "dosecal.cli" in loaded and done.stdout  # the command ran and said something
    assert [m for m in loaded if any(m == n or m.startswith(n + ".") for n in never)] == []


def test_generate_loads_the_renderer_of_the_format_it_writes_and_not_the_others(tmp_path: Path) -> None:
    code = (
        "import sys, dosecal.cli\n"
        f"sys.argv = ['dosecal', 'generate', 'imatinib', '--start', '2027-01-04', '--tz', 'Europe/Paris',"
        f" '-o', {str(tmp_path / 'plan.ics')!r}]\n"
        "try:\n    dosecal.cli.main()\nexcept SystemExit:\n    pass\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(done.stderr.split())
    assert (tmp_path / "plan.ics").read_bytes().startswith(b"BEGIN:VCALENDAR")
    assert "dosecal.render.ics" in loaded
    assert not loaded & {"dosecal.render.html", "dosecal.render.pdf", "dosecal.service.store", "weasyprint"}
    # A calendar is written by dosecal's own content-line writer: not even icalendar is loaded,
    # nor anything of the web app or the printable plan.
    heavy = {"icalendar", "flask", "sqlalchemy", "jinja2", "qrcode", "weasyprint", "caldav"}
    assert sorted(m for m in loaded if m.split(".")[0] in heavy) == []
