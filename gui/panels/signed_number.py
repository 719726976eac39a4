"""A number with its sign always written, in the language's format (engine.core.i18n.number)."""

from __future__ import annotations

from engine.core.i18n import number


def signed(value: float, decimals: int) -> str:
    """'+0.12', '-0.40' ('+0,12' where the language writes a decimal comma), like f"{value:+.2f}"."""
    text = number(value, decimals)
    return text if text.startswith(("-", "−", "+")) or text == "—" else "+" + text
