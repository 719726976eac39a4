"""Names that come from data or from the engine, as the window shows them: Fashion-MNIST's ten
class names are English words ("Trouser", "Ankle boot") and are shown in the language spoken,
any other set's (an image folder's sub-folders, a toy set's numbers, a user's data) as they are
named; the scores that rank suspect examples are shown in the language spoken too. Records,
exports, the command line and lookups keep the names themselves: only what is shown changes."""

from __future__ import annotations

from collections.abc import Iterable

from engine.core.i18n import C_


def class_name(name: str) -> str:
    """A class's name as the window shows it."""
    # i18n: Fashion-MNIST's ten classes of clothing (the data set's own names, shown in tables and plots)
    words = {"T-shirt/top": C_("Fashion-MNIST class", "T-shirt/top"),
             "Trouser": C_("Fashion-MNIST class", "Trouser"),
             "Pullover": C_("Fashion-MNIST class", "Pullover"),
             "Dress": C_("Fashion-MNIST class", "Dress"),
             "Coat": C_("Fashion-MNIST class", "Coat"),
             "Sandal": C_("Fashion-MNIST class", "Sandal"),
             "Shirt": C_("Fashion-MNIST class", "Shirt"),
             "Sneaker": C_("Fashion-MNIST class", "Sneaker"),
             "Bag": C_("Fashion-MNIST class", "Bag"),
             "Ankle boot": C_("Fashion-MNIST class", "Ankle boot")}
    return words.get(name, name)


def class_names(names: Iterable[str]) -> list[str]:
    """Each of `names` as the window shows it, in their order."""
    return [class_name(name) for name in names]


def score_name(name: str) -> str:
    """A suspect-ranking score's name (engine.runs.scores.SCORES, the command line's --score)
    as the Examples tab shows it."""
    # i18n: the scores that rank suspect training examples (AUM: area under the margin); the command line keeps them
    words = {"aum": C_("setting choice", "aum"), "confidence": C_("setting choice", "confidence"),
             "variability": C_("setting choice", "variability"), "correctness": C_("setting choice", "correctness"),
             "forgetting": C_("setting choice", "forgetting")}
    return words.get(name, name)
