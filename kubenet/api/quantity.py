"""Resource quantities ("100m", "1.5Gi", "2e3") as k8s.io/apimachinery/pkg/api/resource parses them.

A Quantity keeps its exact value (a Fraction) and the format its suffix came in, because the API
server writes quantities back in canonical form: "0.5" cpu is stored as "500m", "1536Mi" stays
"1536Mi", "2000" becomes "2k". Values finer than 1n are rounded up, as the Go type does.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from functools import total_ordering

QUANTITY_REGEX_TEXT = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
_QUANTITY_RE = re.compile(r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")

BINARY_SI = "BinarySI"
DECIMAL_SI = "DecimalSI"
DECIMAL_EXPONENT = "DecimalExponent"

_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_BY_EXP = {v: k for k, v in _DECIMAL.items()}
_BINARY_BY_EXP = {v: k for k, v in _BINARY.items()}
_NANO = Fraction(1, 10**9)
MAX_EXPONENT = 400


class QuantityError(ValueError):
    """The text is not a quantity; the message is the one the API server's decoder gives."""


@total_ordering
@dataclass(frozen=True)
class Quantity:
    value: Fraction
    format: str = DECIMAL_SI

    # --- construction -------------------------------------------------------------------------
    @classmethod
    def parse(cls, text: str | float) -> Quantity:
        if isinstance(text, bool):
            raise QuantityError(f"quantities must match the regular expression '{QUANTITY_REGEX_TEXT}'")
        if isinstance(text, int):
            return cls(Fraction(text), DECIMAL_SI)
        if isinstance(text, float):
            text = repr(text)
        text = text.strip()
        if not text:
            raise QuantityError("quantities must match the regular expression "
                                f"'{QUANTITY_REGEX_TEXT}'")
        m = _QUANTITY_RE.match(text)
        if not m:
            raise QuantityError(f"quantities must match the regular expression '{QUANTITY_REGEX_TEXT}'")
        number, suffix = m.groups()
        if number.count(".") > 1 or number.strip("+-") in ("", "."):
            raise QuantityError(f"quantities must match the regular expression '{QUANTITY_REGEX_TEXT}'")
        value = Fraction(number)
        if suffix in _BINARY:
            fmt, value = BINARY_SI, value * (2 ** _BINARY[suffix])
        elif suffix in _DECIMAL:
            fmt, value = DECIMAL_SI, value * Fraction(10) ** _DECIMAL[suffix]
        elif re.fullmatch(r"[eE][-+]?[0-9]+", suffix):
            exponent = int(suffix[1:]) if len(suffix) < 8 else 10**9
            if abs(exponent) > MAX_EXPONENT:
                # Exact arithmetic on 10**(10**9) would take the server down; no real quantity is that large.
                raise QuantityError(f"quantity exponent {suffix[1:]} is out of range (at most ±{MAX_EXPONENT})")
            fmt, value = DECIMAL_EXPONENT, value * Fraction(10) ** exponent
        else:
            raise QuantityError("unable to parse quantity's suffix")
        return cls(_round_up_to_nano(value), fmt)

    # --- reading --------------------------------------------------------------------------------
    def milli_value(self) -> int:
        """MilliValue: rounded up, like the Go type (so 1n of cpu counts as 1m)."""
        return math.ceil(self.value * 1000)

    def value_int(self) -> int:
        """Value(): rounded up to a whole unit."""
        return math.ceil(self.value)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        return self.value < other.value

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        return self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __add__(self, other: Quantity) -> Quantity:
        return Quantity(self.value + other.value, self.format)

    def __sub__(self, other: Quantity) -> Quantity:
        return Quantity(self.value - other.value, self.format)

    # --- canonical text -------------------------------------------------------------------------
    def __str__(self) -> str:
        return self.canonical()

    def canonical(self) -> str:
        if self.value == 0:
            return "0"
        fmt = self.format
        if fmt == BINARY_SI and (abs(self.value) < 1024 or self.value.denominator != 1):
            fmt = DECIMAL_SI  # small or fractional binary amounts would need rounding
        sign = "-" if self.value < 0 else ""
        magnitude = abs(self.value)
        if fmt == BINARY_SI:
            number, exp = int(magnitude), 0
            while number % 1024 == 0 and exp < 60:
                number //= 1024
                exp += 10
            return f"{sign}{number}{_BINARY_BY_EXP.get(exp, '')}"
        number, exp = _decimal_mantissa(magnitude)
        if fmt == DECIMAL_SI and exp in _DECIMAL_BY_EXP:
            return f"{sign}{number}{_DECIMAL_BY_EXP[exp]}"
        return f"{sign}{number}" + (f"e{exp}" if exp else "")


def _round_up_to_nano(value: Fraction) -> Fraction:
    scaled = value / _NANO
    if scaled.denominator == 1:
        return value
    return Fraction(math.ceil(scaled)) * _NANO


def _decimal_mantissa(magnitude: Fraction) -> tuple[int, int]:
    """Integer mantissa and an exponent that is a multiple of 3, as AsCanonicalBytes computes them."""
    exp = -9
    mantissa = int(magnitude / _NANO)
    while mantissa % 10 == 0 and mantissa:
        mantissa //= 10
        exp += 1
    extra = exp % 3
    return mantissa * 10**extra, exp - extra


def parse_quantity(text: str | float) -> Quantity:
    return Quantity.parse(text)


def canonicalize(text: str | float) -> str:
    """The text the API server stores for a quantity a user wrote."""
    return Quantity.parse(text).canonical()
