"""The colander types every schema of the core and of the plugins uses for numbers and
free JSON, so that a value the database cannot hold is a 400 naming the field, never a
500 from the driver:

* :class:`Int` — an integer that fits the database's ``INTEGER`` (−2³¹ … 2³¹−1 by
  default): refuses booleans, 12.7, ``"1e3"`` and anything out of range. Query-string
  digits (``"42"``) are accepted. :func:`to_int` is the same rule for code that reads a
  parameter by hand (``page``).
* :class:`Money` — a finite decimal with two places (``Numeric(12, 2)``): refuses
  ``"NaN"``, ``"Infinity"``, more than two decimals and anything ≥ 10¹⁰.
* :class:`JsonValue` — a JSON list/object (or its JSON text, from a form) of at most
  :data:`JSON_FIELD_MAX_BYTES` once encoded: the ``metadata``/``settings``/``themes``
  fields.

Strings need no type of their own: colander's ``String`` refuses non-strings, and the
body parser (:mod:`makeplus_core.api.body`) has already refused NUL characters and lone
surrogates everywhere.
"""
from __future__ import annotations

import decimal
import json
import re

import colander

from . import errors
from .api.body import loads

INT_MIN, INT_MAX = -(2 ** 31), 2 ** 31 - 1
MONEY_MAX = decimal.Decimal(10) ** 10  # Numeric(12, 2): 10 digits before the point
JSON_FIELD_MAX_BYTES = 64 * 1024
_INT_TEXT = re.compile(r"^\s*[+-]?\d{1,20}\s*$")


class _NotAnInt(ValueError):
    pass


def _int_value(value) -> int:
    if isinstance(value, bool):
        raise _NotAnInt
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise _NotAnInt
        return int(value)
    if isinstance(value, str) and _INT_TEXT.match(value):
        return int(value)
    raise _NotAnInt


def _range_message(minimum: int, maximum: int) -> str:
    return f"must be between {minimum} and {maximum}"


def to_int(value, field: str, minimum: int = INT_MIN, maximum: int = INT_MAX) -> int:
    """``value`` as a bounded integer, else :class:`makeplus_core.errors.Invalid` naming ``field``."""
    try:
        number = _int_value(value)
    except _NotAnInt:
        raise errors.Invalid(f"{field}: {json.dumps(value, default=str)[:50]} is not an integer", field=field) from None
    if not minimum <= number <= maximum:
        raise errors.Invalid(f"{field}: {_range_message(minimum, maximum)}", field=field)
    return number


class Int(colander.Int):
    """A bounded integer (see the module docstring); ``minimum``/``maximum`` narrow the bounds.

    A ``colander.Int`` for everything else (the OpenAPI document says ``integer``).
    """

    def __init__(self, minimum: int = INT_MIN, maximum: int = INT_MAX):
        super().__init__()
        self.min = max(minimum, INT_MIN)
        self.max = min(maximum, INT_MAX)

    def deserialize(self, node, cstruct):
        if cstruct is colander.null:
            return colander.null
        try:
            number = _int_value(cstruct)
        except _NotAnInt:
            raise colander.Invalid(node, f"{json.dumps(cstruct, default=str)[:50]} is not an integer") from None
        if not self.min <= number <= self.max:
            raise colander.Invalid(node, _range_message(self.min, self.max))
        return number


class Money(colander.Decimal):
    """A finite amount with at most two decimals, 0 ≤ amount < 10¹⁰ (``allow_negative`` for refunds).

    Accepts JSON numbers and numeric strings; returns a ``Decimal`` quantized to 0.01.
    ``round`` rounds extra decimals (half-even) instead of refusing them.
    """

    def __init__(self, allow_negative: bool = False, round: bool = False):  # noqa: A002
        super().__init__(quant="0.01")
        self.allow_negative = allow_negative
        self.round = round

    def deserialize(self, node, cstruct):
        if cstruct is colander.null:
            return colander.null
        if isinstance(cstruct, bool) or not isinstance(cstruct, (int, float, str, decimal.Decimal)):
            raise colander.Invalid(node, "must be an amount (a number or a numeric string)")
        try:
            value = decimal.Decimal(str(cstruct).strip())
        except (decimal.InvalidOperation, ValueError):
            raise colander.Invalid(node, f"{json.dumps(cstruct, default=str)[:50]} is not a number") from None
        if not value.is_finite():
            raise colander.Invalid(node, "must be a finite number")
        if abs(value) >= MONEY_MAX or (value < 0 and not self.allow_negative):
            low = f"-{MONEY_MAX - decimal.Decimal('0.01')}" if self.allow_negative else "0"
            raise colander.Invalid(node, f"must be between {low} and {MONEY_MAX - decimal.Decimal('0.01')}")
        cents = value.quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_EVEN)
        if cents == 0:
            cents = abs(cents)  # "-0" is 0.00
        if cents != value and not self.round:
            raise colander.Invalid(node, "must have at most 2 decimals")
        return cents


class JsonValue(colander.SchemaType):
    """A JSON list/object, given as such or as a JSON string (multipart forms), of at most
    ``max_bytes`` once encoded (default :data:`JSON_FIELD_MAX_BYTES`)."""

    def __init__(self, kind: type, max_bytes: int = JSON_FIELD_MAX_BYTES):
        self.kind = kind
        self.max_bytes = max_bytes

    def serialize(self, node, appstruct):
        return colander.null if appstruct is colander.null else appstruct

    def deserialize(self, node, cstruct):
        if cstruct is colander.null:
            return colander.null
        value = cstruct
        if isinstance(value, str):
            if len(value.encode("utf-8", "surrogatepass")) > self.max_bytes:
                raise colander.Invalid(node, f"larger than {self.max_bytes} bytes")
            try:
                value = loads(value) if value.strip() else self.kind()
            except errors.Invalid:
                raise colander.Invalid(node, "not valid JSON") from None
        if not isinstance(value, self.kind):
            raise colander.Invalid(node, f"must be a JSON {'list' if self.kind is list else 'object'}")
        if len(json.dumps(value, ensure_ascii=False).encode("utf-8")) > self.max_bytes:
            raise colander.Invalid(node, f"larger than {self.max_bytes} bytes")
        return value
