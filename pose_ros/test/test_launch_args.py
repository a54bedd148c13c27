"""bringup.launch.py's arguments, read from its source: no `launch` needed (it is not on PyPI).

test_launch.py launches the file for real where launch_pytest is installed.
"""

import ast
import os

LAUNCH_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'launch',
                           'bringup.launch.py')

# The arguments the issue specifies, and no others.
DOCUMENTED = {'use_camera', 'source', 'image', 'model', 'camera_params', 'pose_params',
              'gesture_params', 'gestures_file', 'cmd_vel', 'namespace', 'log_level', 'rviz',
              'hands'}
# Those whose values are fixed, with the values launch must accept (and no others).
CHOICES = {'use_camera': ['true', 'false'], 'rviz': ['true', 'false'], 'hands': ['true', 'false'],
           'log_level': ['debug', 'info', 'warn', 'error', 'fatal']}


def parse() -> ast.Module:
    with open(LAUNCH_FILE, encoding='utf-8') as f:
        return ast.parse(f.read(), LAUNCH_FILE)


def table(tree: ast.Module) -> dict[str, list[ast.expr]]:
    """Read the ARGUMENTS table: name -> [default, description, choices]."""
    value = next(node.value for node in tree.body if isinstance(node, ast.Assign)
                 and [t.id for t in node.targets if isinstance(t, ast.Name)] == ['ARGUMENTS'])
    rows = {}
    for row in value.elts:
        assert isinstance(row, ast.Tuple) and len(row.elts) == 4, ast.dump(row)
        name = row.elts[0]
        assert isinstance(name, ast.Constant) and isinstance(name.value, str), ast.dump(name)
        assert name.value not in rows, f'{name.value} declared twice'
        rows[name.value] = row.elts[1:]
    return rows


def declared(tree: ast.Module) -> dict[str, ast.expr]:
    """Name -> description of every argument."""
    return {name: row[1] for name, row in table(tree).items()}


def test_arguments_are_the_documented_set_each_described():
    rows = declared(parse())
    assert set(rows) == DOCUMENTED
    for name, description in rows.items():
        assert isinstance(description, ast.Constant) and isinstance(description.value, str) \
            and description.value.strip(), f'{name} has no description'


def test_every_argument_read_is_declared_and_every_declared_one_is_read():
    tree = parse()
    read = {call.args[0].value for call in ast.walk(tree)
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
            and call.func.id in ('arg', 'text', 'LaunchConfiguration')
            and call.args and isinstance(call.args[0], ast.Constant)}
    assert read == set(declared(tree))


def test_arguments_with_fixed_values_declare_their_choices():
    for name, (default, _, choices) in table(parse()).items():
        given = ast.literal_eval(choices)
        assert given == CHOICES.get(name), f'{name}: choices {given}'
        if given is not None:
            assert ast.literal_eval(default) in given, f'{name}: default not among its choices'


def node_parameters(tree: ast.Module, executable: str) -> dict[str, ast.expr]:
    """Return the inline parameters (the dict in ``parameters=[file, {...}]``) of a Node."""
    (node,) = [call for call in ast.walk(tree) if isinstance(call, ast.Call)
               and isinstance(call.func, ast.Name) and call.func.id == 'Node'
               and any(k.arg == 'executable' and ast.literal_eval(k.value) == executable
                       for k in call.keywords)]
    (parameters,) = [k.value for k in node.keywords if k.arg == 'parameters']
    (inline,) = [e for e in parameters.elts if isinstance(e, ast.Dict)]
    return {ast.literal_eval(k): v for k, v in zip(inline.keys, inline.values)}


def test_hands_reaches_pose_node_as_a_boolean():
    # The argument is the text 'true' or 'false'; pose_node's parameter is a bool and refuses
    # a string, so the value must be typed where it is passed.
    value = node_parameters(parse(), 'pose_node')['hands']
    assert isinstance(value, ast.Call) and value.func.id == 'ParameterValue'
    (given,) = value.args
    assert ast.unparse(given) == "arg('hands')"
    assert {k.arg: ast.unparse(k.value) for k in value.keywords} == {'value_type': 'bool'}
    assert ast.literal_eval(table(parse())['hands'][0]) == 'false'
