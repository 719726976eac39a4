"""The live plots' hover read-outs: which curves each plot's read-out names, and by what words."""

from __future__ import annotations

import pyqtgraph as pg

from engine.core.i18n import C_, _
from gui.plotting.hover import HoverReadout
from gui.plotting.series import Series


def live_hovers(plots: dict[str, pg.PlotWidget], s: dict[str, Series], layers: dict[str, Series],
                grads: dict[str, Series]) -> list[HoverReadout]:
    """A read-out for each epoch plot (its owner keeps them: one nothing refers to loses its connection)."""
    train, val = C_("split", "train"), C_("split", "val")
    return [
        HoverReadout(plots["loss"], {train: s["train_loss"], val: s["val_loss"]}),
        HoverReadout(plots["accuracy"], {train: s["train_acc"], val: s["val_acc"]}, "{:.1f} %"),
        HoverReadout(plots["gap"], {_("accuracy gap"): s["acc_gap"], _("loss gap ×10"): s["loss_gap"],
                                    _("val ECE (pts)"): s["val_ece"]}),
        HoverReadout(plots["norms"], layers),
        HoverReadout(plots["grads"], grads),
        HoverReadout(plots["noise"], {_("clean"): s["clean_acc"], _("corrupted"): s["noisy_acc"]}, "{:.1f} %"),
    ]
