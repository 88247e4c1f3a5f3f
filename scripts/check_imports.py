"""Find import cycles inside a Python package; exit 1 and print each one, else exit 0.

    python scripts/check_imports.py [PACKAGE_DIR]      (default: yorisoi/ next to this folder)

Every `import` and `from ... import` in every module counts, at module level and inside
functions alike (a late import that dodges a cycle at start-up is still a cycle in the
design), except those under `if TYPE_CHECKING:`, which never run. `from a.b import c` is an
edge to the module `a.b.c` when that is a module of the package, else to `a.b`.

Importing `a.b.c` first runs `a/__init__.py` and `a/b/__init__.py`, so an import from outside
a package is also an edge to that package's entry module: when `yorisoi.faq.model` imports
`yorisoi.content.checks` and `yorisoi/content/__init__.py` imports `yorisoi.faq.library`, the
import fails at run time whichever is imported first. Inside a package that edge is left out:
the entry is already running when its own modules import each other, and a package entry that
re-exports its modules would otherwise be in a cycle with each of them.

Cycles are the strongly connected components of the graph (Tarjan's algorithm); for each one
a shortest closed path through its first module is printed, with the line of each import.
Standard library only, so it runs before anything is installed.
"""

from __future__ import annotations

import ast
import sys
from collections import deque
from itertools import pairwise
from pathlib import Path

Graph = dict[str, dict[str, int]]  # module -> imported module -> line of the first such import


def module_names(package_dir: Path) -> dict[str, Path]:
    """Return dotted module name -> file for every .py file under `package_dir`."""
    root = package_dir.parent
    modules: dict[str, Path] = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    """Return True for `TYPE_CHECKING` or `typing.TYPE_CHECKING`."""
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Return every import statement in `tree` that can run (not under TYPE_CHECKING)."""
    found: list[ast.Import | ast.ImportFrom] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
            continue
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)  # the `else:` branch does run
            continue
        stack.extend(ast.iter_child_nodes(node))
    return found


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """Return the absolute module a `from` import names (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _entries_run(importer: str, target: str, modules: dict[str, Path]) -> list[str]:
    """Return the package entries importing `target` runs that `importer` is not inside."""
    parts = target.split(".")
    entries = []
    for end in range(1, len(parts)):
        package = ".".join(parts[:end])
        if package in modules and not (importer + ".").startswith(package + "."):
            entries.append(package)
    return entries


def build_graph(package_dir: Path) -> Graph:
    """Return the import graph between the modules of the package at `package_dir`."""
    modules = module_names(package_dir)
    graph: Graph = {name: {} for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        is_package = path.name == "__init__.py"
        for node in _imports(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = _resolve(name, is_package, node)
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.append(sub if sub in modules else base)
            for target in targets:
                for entry in _entries_run(name, target, modules):
                    graph[name].setdefault(entry, node.lineno)
                if target in modules and target != name:
                    graph[name].setdefault(target, node.lineno)
    return graph


def components(graph: Graph) -> list[list[str]]:
    """Return the strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        # Iterative depth-first search: (node, iterator over its successors).
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            advanced = False
            for nxt in successors:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == node:
                        break
                if len(members) > 1:
                    found.append(sorted(members))
    return sorted(found)


def shortest_cycle(graph: Graph, members: list[str]) -> list[str]:
    """Return a shortest closed path within `members` through its first module."""
    inside = set(members)
    start = members[0]
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(graph[node]):
            if nxt not in inside:
                continue
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if nxt not in came_from:
                came_from[nxt] = node
                queue.append(nxt)
    return [start, start]  # unreachable for a real component


def describe(graph: Graph, members: list[str]) -> str:
    """Return the report of one cycle: its size and a closed path with import lines."""
    path = shortest_cycle(graph, members)
    steps = [f"  {module} (line {graph[module][nxt]}) -> {nxt}" for module, nxt in pairwise(path)]
    return f"import cycle of {len(members)} modules: {', '.join(members)}\n" + "\n".join(steps)


def main(argv: list[str]) -> int:
    """Check the package named in `argv` (default yorisoi/); return the exit status."""
    default = Path(__file__).resolve().parent.parent / "yorisoi"
    package_dir = Path(argv[0]) if argv else default
    if not (package_dir / "__init__.py").is_file():
        print(f"{package_dir}: not a package (no __init__.py)", file=sys.stderr)
        return 2
    graph = build_graph(package_dir)
    cycles = components(graph)
    for members in cycles:
        print(describe(graph, members))
    if not cycles:
        print(f"{package_dir.name}: {len(graph)} modules, no import cycles")
    return 1 if cycles else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
