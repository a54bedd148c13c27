"""The layout holds: no import cycles, every module imports on its own, rclpy only in ros/.

A cycle makes a module's behaviour depend on which of its partners was imported first; the
registry of model families exists so that there is none. Checked twice: on the import graph
read from the source (every ``import`` of a pose_ros module, also inside functions, which is
where a cycle hides), and by importing each module alone in a fresh interpreter.
"""

import ast
import json
import os
from pathlib import Path
import subprocess
import sys

PACKAGE = Path(__file__).resolve().parents[1] / 'pose_ros'


def module_names() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob('*.py')):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix('').parts)
        if parts[-1] == '__init__':
            parts.pop()
        names.append('.'.join(parts))
    return names


MODULES = module_names()


def _source(module: str) -> Path:
    base = PACKAGE.parent.joinpath(*module.split('.'))
    return base / '__init__.py' if base.is_dir() else base.with_suffix('.py')


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, (ast.Name, ast.Attribute)) and \
        ast.unparse(node.test).endswith('TYPE_CHECKING')


def imports_of(module: str) -> set[str]:
    """Return the pose_ros modules ``module`` imports (at any depth, not for type checking)."""
    tree = ast.parse(_source(module).read_text())
    package = module if _source(module).name == '__init__.py' else module.rpartition('.')[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split('.')[0] == 'pose_ros')
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                base = '.'.join(package.split('.')[:len(package.split('.')) - node.level + 1]
                                + ([base] if base else []))
            if base.split('.')[0] == 'pose_ros':
                for alias in node.names:
                    sub = f'{base}.{alias.name}'
                    found.add(sub if sub in MODULES else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    found.discard(module)
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': {'a'}}) == [['a', 'b', 'c']]
    assert cycles({'a': {'b'}, 'b': set()}) == []


def test_the_import_graph_is_read_from_the_source():
    graph = {m: imports_of(m) for m in MODULES}
    # Family modules build on base, and the package imports them so that they register.
    assert 'pose_ros.pose.families.base' in graph['pose_ros.pose.families.blazepose']
    assert 'pose_ros.pose.families.blazepose' in graph['pose_ros.pose.families']
    assert 'pose_ros.pose.families' in graph['pose_ros.pose.estimator']


def test_no_module_imports_itself_through_others():
    graph = {m: imports_of(m) for m in MODULES}
    assert cycles(graph) == []
    # The registry does not know the families that register with it.
    assert not {m for m in graph['pose_ros.pose.families.base']
                if m.startswith('pose_ros.pose.families.')}


CHILD = r"""
import importlib, json, os, sys
import cv2, numpy, yaml  # third-party libraries load once; each module then imports fresh
results = {}
for name in json.loads(sys.argv[1]):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            importlib.import_module(name)
            out = {'ok': True, 'rclpy': 'rclpy' in sys.modules}
        except BaseException as exc:
            out = {'ok': False, 'error': f'{type(exc).__name__}: {exc}'}
        os.write(write, json.dumps(out).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        text = pipe.read()
    os.waitpid(pid, 0)
    results[name] = json.loads(text) if text else {'ok': False, 'error': 'no answer'}
print(json.dumps(results))
"""


def test_every_module_imports_alone_and_only_ros_glue_loads_rclpy():
    # __main__ modules are programs: importing one runs it.
    modules = [m for m in MODULES if not m.endswith('.__main__')]
    env = dict(os.environ, PYTHONPATH=str(PACKAGE.parent) + os.pathsep
               + os.environ.get('PYTHONPATH', ''))
    done = subprocess.run([sys.executable, '-c', CHILD, json.dumps(modules)], env=env,
                          capture_output=True, text=True, timeout=300, check=True)
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(results) == set(modules)
    failed = {m: r['error'] for m, r in results.items() if not r['ok']}
    assert failed == {}
    with_ros = {m for m, r in results.items() if r['rclpy']}
    assert with_ros, 'the ROS glue was not imported'
    assert {m for m in with_ros if not m.startswith('pose_ros.ros.')} == set()
