"""Numbers and choices checked once for every command (``float()`` reads nan and inf), and JSON without NaN."""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .errors import ZhnlpError


def check_number(option: str, value: float, low: float | None = None, high: float | None = None, *,
                 above: bool = False, below: bool = False) -> None:
    """Refuse (naming ``option``) a value that is not finite or lies below ``low`` (``above``: at it) or over ``high``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ZhnlpError(f"{option} must be a finite number, not {value}")
    too_low = low is not None and (value <= low if above else value < low)
    too_high = high is not None and (value >= high if below else value > high)
    if not (too_low or too_high):
        return
    if low is not None and high is not None:
        rule = f"lie in {'(' if above else '['}{low}, {high}{')' if below else ']'}"
    elif low is not None:
        rule = ("be positive" if low == 0 else f"be greater than {low}") if above else f"be at least {low}"
    else:
        rule = f"be less than {high}" if below else f"be at most {high}"
    raise ZhnlpError(f"{option} must {rule}, not {value}")


def check_choice(option: str, value: Any, choices: Sequence[str]) -> None:
    """Refuse (naming ``option``) a value that is not one of ``choices``."""
    if value not in choices:
        raise ZhnlpError(f"{option} must be one of {', '.join(choices)}, not {value!r}")


def json_safe(obj: Any) -> Any:
    """``obj`` with every nested non-finite float made None, ready for ``json.dumps(..., allow_nan=False)``."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


__all__ = ["check_choice", "check_number", "json_safe"]
