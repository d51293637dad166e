"""The package's shape: a light CLI, imports that point one way, small files and functions.

"One way" means two rules over every `import` statement of a hyperlax module, at module level or inside a
function (a deferred import is still a dependency):
- layers import only their own layer or those below it: cli -> commands -> engine -> {algos, envs, space,
  configs, zoo} -> results -> errors and the package root (hyperlax/__init__.py);
- the modules' import graph has no cycle, so every module can be read, tested and imported after the ones
  it names. A package's `__init__` importing its own submodules (its public surface) is an edge like any
  other; the implicit import of a parent package when a submodule is imported is not.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "hyperlax"
# Lower rank = lower layer; a module may import modules of its own rank or lower.
RANKS = {
    "cli": 5,
    "api": 5,
    "commands": 4,
    "engine": 3,
    "algos": 2,
    "envs": 2,
    "space": 2,
    "configs": 2,
    "zoo": 2,  # the zoo's entries: read, checked, found by pair (envs' catalog for the aliases)
    "results": 1,
    "errors": 0,
    "registry": 0,  # loads a built-in name or a user's module:attr / file.py:attr (errors only)
    "": 0,  # hyperlax/__init__.py: the version and configure_xla
}
MAX_FILE_LINES, MAX_FUNCTION_LINES = 400, 60


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def layer(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def imported(module: str, tree: ast.AST) -> set:
    """The hyperlax modules `module` imports anywhere in its source."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert not node.level, f"{module}: hyperlax imports absolutely"
            base = node.module
            # `from pkg import name`: the submodule pkg.name when there is one, else pkg itself
            found.update(f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names)
    return {name for name in found if name in MODULES}


GRAPH = {module: imported(module, ast.parse(path.read_text())) for module, path in MODULES.items()}


def loaded_modules(*argv: str) -> set:
    """The modules loaded by `python -m hyperlax.cli ARGV` (which exits after printing help)."""
    wrapper = (
        "import runpy, sys\n"
        f"sys.argv = ['hyperlax', *{list(argv)!r}]\n"
        "try:\n    runpy.run_module('hyperlax.cli', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print(' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", wrapper], cwd=ROOT, capture_output=True, text=True, timeout=120)
    return set(done.stderr.split())


@pytest.mark.parametrize(
    "argv", [["--help"], ["optuna-hp-search", "--help"], ["pbt-search", "--help"], ["train", "--help"], ["zoo"]]
)
def test_help_and_the_zoo_table_import_neither_jax_nor_optuna(argv):
    loaded = loaded_modules(*argv)
    assert "hyperlax.cli.main" in loaded
    assert not {"jax", "optuna"} & loaded


def test_every_layer_imports_only_its_own_or_lower_layers():
    upward = [
        f"{module} -> {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if RANKS[layer(target)] > RANKS[layer(module)]
    ]
    assert not upward


def test_hyperlax_modules_import_each_other_without_a_cycle():
    done, path = set(), []

    def visit(module: str) -> None:
        if module in path:
            cycle = path[path.index(module) :] + [module]
            raise AssertionError(f"import cycle: {' -> '.join(cycle)}")
        if module in done:
            return
        path.append(module)
        for target in sorted(GRAPH[module]):
            visit(target)
        path.pop()
        done.add(module)

    for module in sorted(GRAPH):
        visit(module)


def test_no_file_is_over_400_lines_and_no_function_over_60():
    others = [p for folder in ("tests", "benchmarks", "examples") for p in (ROOT / folder).rglob("*.py")]
    every_file = [*MODULES.values(), *others]
    long_files = [f"{p} ({n})" for p in every_file if (n := len(p.read_text().splitlines())) > MAX_FILE_LINES]
    long_functions = [
        f"{module_name(p)}.{node.name} ({node.end_lineno - node.lineno + 1})"
        for p in MODULES.values()
        for node in ast.walk(ast.parse(p.read_text()))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long_files and not long_functions, (long_files, long_functions)
