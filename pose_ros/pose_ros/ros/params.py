"""Declare, validate and update node parameters from one table per node.

Why a table: teleop_twist_joy's rule — validate everything, then assign — needs the same
limits at start-up (a bad YAML value stops the node with the parameter, the value and what is
allowed) and at run time (``ros2 param set`` with a bad value is refused with that same reason
and the node goes on with the old value). Keeping both on one list of ``Param`` entries, each
with its descriptor, means ``ros2 param describe`` shows exactly what is enforced.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
import math
from typing import Any

from rcl_interfaces.msg import ParameterDescriptor, ParameterType, SetParametersResult
from rclpy.exceptions import InvalidParameterTypeException, ParameterException
from rclpy.node import Node
from rclpy.parameter import Parameter

_TYPES = {
    bool: (ParameterType.PARAMETER_BOOL, 'a boolean (true or false)'),
    int: (ParameterType.PARAMETER_INTEGER, 'an integer'),
    float: (ParameterType.PARAMETER_DOUBLE, 'a floating-point number (write 1.0, not 1)'),
    str: (ParameterType.PARAMETER_STRING, 'a string'),
}


# Give these to Node.__init__ of every node that calls ``declare``: rclpy then declares each
# parameter the user gave, which is the only public way (Humble on) to see the names of them
# all, so that a misspelt one is refused instead of ignored.
NODE_OPTIONS = {'automatically_declare_parameters_from_overrides': True}
# Parameters rclpy declares on every node by itself.
RCLPY_PARAMETERS = frozenset({'use_sim_time', 'start_type_description_service'})


class ParameterError(ValueError):
    """A parameter value that cannot be used; the message says which, what, and what is allowed."""


@dataclass(frozen=True)
class Param:
    """One parameter: its default, meaning, and the values it accepts."""

    name: str
    default: bool | int | float | str
    description: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    read_only: bool = False
    # Extra check on the value: returns None when fine, else what is wrong.
    check: Callable[[Any], str | None] | None = None

    @property
    def kind(self) -> type:
        return type(self.default)

    def allowed(self) -> str:
        """Describe the accepted values in words, for messages and descriptors."""
        if self.choices:
            return 'one of ' + ', '.join(repr(c) for c in self.choices)
        text = _TYPES[self.kind][1]
        if self.minimum is not None and self.maximum is not None:
            text += f' from {self.minimum} to {self.maximum}'
        elif self.minimum is not None:
            text += f' of at least {self.minimum}'
        elif self.maximum is not None:
            text += f' of at most {self.maximum}'
        return text

    def descriptor(self) -> ParameterDescriptor:
        # Statically typed: rclpy keeps the type, so ``ros2 param describe`` shows it even after
        # a set of another type was refused (with dynamic typing, rclpy overwrites the stored
        # type with the refused value's before any callback can say no). The range stays in
        # words: rclpy's own range refusal would not say which value was given.
        return ParameterDescriptor(
            name=self.name, type=_TYPES[self.kind][0], read_only=self.read_only,
            description=self.description,
            additional_constraints=f'Allowed: {self.allowed()}.'
            + (' Read only: restart the node to change it.' if self.read_only else ''))

    def problem(self, value: Any) -> str | None:
        """Return what is wrong with ``value``, or None when it may be used."""
        if self.kind is float and type(value) is int:
            return f'is an integer; {self.name} takes {_TYPES[float][1]}'
        if type(value) is not self.kind:
            return f'has the wrong type; {self.name} takes {_TYPES[self.kind][1]}'
        if self.kind is float and not math.isfinite(value):
            return f'is not a finite number; use {self.allowed()}'
        if self.choices and value not in self.choices:
            return f'is not allowed; use {self.allowed()}'
        if self.minimum is not None and value < self.minimum or \
                self.maximum is not None and value > self.maximum:
            return f'is out of range; use {self.allowed()}'
        if self.check is not None:
            return self.check(value)
        return None

    def message(self, value: Any, problem: str) -> str:
        return f"parameter '{self.name}' = {value!r} {problem}"


def declare(node: Node, params: Sequence[Param],
            shared_process: Collection[str] = ()) -> dict[str, Any]:
    """Declare ``params`` on ``node`` and return their validated values.

    ``node`` must have been made with ``NODE_OPTIONS``. Raises ParameterError naming the first
    bad parameter, so start-up stops there. ``shared_process`` names the parameters of the
    other nodes in the same process: a ``-p name:=value`` given to the process reaches every
    node, so those are not typos here.
    """
    values: dict[str, Any] = {}
    for p in params:
        if node.has_parameter(p.name):
            # Declared by rclpy from the user's value (NODE_OPTIONS): declared again, with our
            # descriptor; rclpy still takes the user's value over the default.
            node.undeclare_parameter(p.name)
        try:
            value = node.declare_parameter(p.name, p.default, p.descriptor()).value
        except InvalidParameterTypeException:
            # rclpy's refusal does not say what to write instead. Declared untyped, the
            # parameter gives the value for our message; start-up stops here anyway.
            value = node.declare_parameter(
                p.name, p.default, ParameterDescriptor(dynamic_typing=True)).value
        except ParameterException as exc:
            raise ParameterError(f"parameter '{p.name}': {exc}") from exc
        problem = p.problem(value)
        if problem is not None:
            raise ParameterError(p.message(value, problem))
        values[p.name] = value
    # Without a check rclpy ignores a parameter nobody declares: a typo in a parameters file
    # (say max_linaer_speed) would leave the default in force on a robot. Refuse it instead.
    ours = {p.name for p in params} | RCLPY_PARAMETERS
    # get_parameters_by_prefix(''): every declared parameter, on Humble too (list_parameters
    # came to rclpy only with Jazzy).
    given = [name for name in node.get_parameters_by_prefix('')
             if name not in ours and '.' not in name]
    for name in given:
        if name in shared_process:  # another node's, in this process: not ours to show
            node.undeclare_parameter(name)
    unknown = sorted(name for name in given if name not in shared_process)
    if unknown:
        raise ParameterError(
            f'{node.get_name()} has no parameter {", ".join(repr(n) for n in unknown)}; '
            f'its parameters are: {", ".join(sorted(p.name for p in params))}')
    return values


def validate_update(params: Sequence[Param], current: dict[str, Any],
                    changes: Sequence[Parameter]) -> tuple[dict[str, Any], str | None]:
    """Check a ``ros2 param set`` against the table: all changes are good, or none apply.

    Returns the new full set of values and None, or the old values and the reason.
    """
    table = {p.name: p for p in params}
    new = dict(current)
    for change in changes:
        p = table.get(change.name)
        if p is None:
            continue
        if p.read_only:
            return current, f"parameter '{p.name}' is read only: restart the node to change it"
        problem = p.problem(change.value)
        if problem is not None:
            return current, p.message(change.value, problem)
        new[p.name] = change.value
    return new, None


def on_set(node: Node, params: Sequence[Param], get: Callable[[], dict[str, Any]],
           apply: Callable[[dict[str, Any], set[str]], str | None]) -> None:
    """Install a set-parameters callback that validates against the table, then applies.

    ``apply`` gets the new values and the names that were set (even to their old value: setting
    a file path again means "read it again"). It may refuse what the table cannot judge alone
    (a gestures file that does not parse) by returning the reason; the old values then stay.
    """
    table = {p.name: p for p in params}
    # Values of the wrong type in the set under way, by name (see ``before``).
    wrong_type: dict[str, Any] = {}

    def before(changes: list[Parameter]) -> list[Parameter]:
        # rclpy refuses a value of another type than declared before any on-set callback, and
        # says so as "expected '3' got '4'" from Python 3.11 on. Swapped for the default here,
        # such a value passes rclpy's check and reaches ``callback``, which refuses it in the
        # same words as at start-up; the default is never set, as ``callback`` says no.
        wrong_type.clear()
        checked = []
        for change in changes:
            p = table.get(change.name)
            if p is not None and change.type_ != Parameter.Type.NOT_SET \
                    and type(change.value) is not p.kind:
                wrong_type[change.name] = change.value
                change = Parameter(change.name, value=p.default)
            checked.append(change)
        return checked

    def callback(changes: list[Parameter]) -> SetParametersResult:
        given = [(c.name, wrong_type.pop(c.name)) for c in changes if c.name in wrong_type]
        if given:
            p, value = table[given[0][0]], given[0][1]
            reason = p.message(value, p.problem(value))
        else:
            new, reason = validate_update(params, get(), changes)
            if reason is None:
                reason = apply(new, {c.name for c in changes})
        if reason is not None:
            node.get_logger().error(f'parameter update refused: {reason}')
            return SetParametersResult(successful=False, reason=reason)
        return SetParametersResult(successful=True)

    # Pre-set callbacks exist from Iron on; on Humble (Python 3.10) rclpy's own refusal names
    # the types ("expected 'Type.DOUBLE' got 'Type.STRING'").
    if hasattr(node, 'add_pre_set_parameters_callback'):
        node.add_pre_set_parameters_callback(before)
    node.add_on_set_parameters_callback(callback)
