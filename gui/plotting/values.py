"""A setting's value as the window shows it: in the Experiment tab's tables, a run's label, a
marker on the plots. Numbers in the language's format (0,5 in German), a switch as the
language's on / off, a choice as the settings panel's combo box says it, nothing as "—".
Only for showing: files, lookups and sort keys keep the value itself."""

from __future__ import annotations

from engine.core.config import field_info
from engine.core.i18n import C_, _, integer, n_, number

NOTHING = "—"


def _is_choice(key: str | None, value: str) -> bool:
    """A choice of `key`'s (its combo box translates it). Without a key, any text may be one:
    the context "setting choice" holds only choices' words, so other text is left as it is."""
    if key is None:
        return True
    try:
        return value in (field_info(key).metadata.get("choices") or ())
    except (KeyError, StopIteration, ValueError):  # not a setting (a user's model keyword…)
        return False


def setting_value(value, key: str | None = None) -> str:
    """`value` of the setting `key` (its dotted name; None where not known) as shown."""
    if isinstance(value, bool):
        # i18n: a switch's value (regularization.augment_hflip = true), as a table or a label shows it
        return C_("setting choice", "on") if value else C_("setting choice", "off")
    if value is None:
        return NOTHING
    if isinstance(value, float):
        return number(value)
    if isinstance(value, int):
        return integer(value)
    if isinstance(value, list):  # a cleaned twin's list of examples, by its length
        if not value:
            return _("none")
        # i18n: a setting's value that is a list of examples (a cleaned twin's), by its length
        return n_("[{count} example]", "[{count} examples]", len(value)).format(count=integer(len(value)))
    if isinstance(value, str):
        return C_("setting choice", value) if value and _is_choice(key, value) else value
    return str(value)
