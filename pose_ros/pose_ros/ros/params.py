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
from rclpy.exceptions import ParameterException
from rclpy.node import Node
from rclpy.parameter import Parameter

_TYPES = {
    bool: (ParameterType.PARAMETER_BOOL, 'a boolean (true or false)'),
    int: (ParameterType.PARAMETER_INTEGER, 'an integer'),
    float: (ParameterType.PARAMETER_DOUBLE, 'a floating-point number (write 1.0, not 1)'),
    str: (ParameterType.PARAMETER_STRING, 'a string'),
}


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
        # dynamic_typing lets a wrong-typed YAML value through to ``problem``, whose message
        # says what to write instead; rclpy's own type and range refusals name neither.
        return ParameterDescriptor(
            name=self.name, type=_TYPES[self.kind][0], read_only=self.read_only,
            description=self.description, dynamic_typing=True,
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

    Raises ParameterError naming the first bad parameter, so start-up stops there.
    ``shared_process`` names the parameters of the other nodes in the same process: a
    ``-p name:=value`` given to the process reaches every node, so those are not typos here.
    """
    values: dict[str, Any] = {}
    for p in params:
        try:
            value = node.declare_parameter(p.name, p.default, p.descriptor()).value
        except ParameterException as exc:
            raise ParameterError(f"parameter '{p.name}': {exc}") from exc
        problem = p.problem(value)
        if problem is not None:
            raise ParameterError(p.message(value, problem))
        values[p.name] = value
    # rclpy quietly ignores an override nobody declares: a typo in a parameters file (say
    # max_linaer_speed) would leave the default in force on a robot. Refuse it instead.
    overrides = getattr(node, '_parameter_overrides', {})
    known = {p.name for p in params} | set(shared_process) | {
        'use_sim_time', 'start_type_description_service'}
    unknown = sorted(name for name in overrides if name not in known and '.' not in name)
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

    def callback(changes: list[Parameter]) -> SetParametersResult:
        new, reason = validate_update(params, get(), changes)
        if reason is None:
            reason = apply(new, {c.name for c in changes})
        if reason is not None:
            node.get_logger().error(f'parameter update refused: {reason}')
            return SetParametersResult(successful=False, reason=reason)
        return SetParametersResult(successful=True)

    node.add_on_set_parameters_callback(callback)
