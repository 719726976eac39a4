"""Per-layer norm plots that stay readable for deep networks: past MAX_GROUPS layers, layers
are grouped by their module-name prefix (`encoder.block1.conv` -> `encoder.block1`), at the
deepest depth that still gives at most MAX_GROUPS groups; where even the top-level names are
too many (a flat nn.Sequential of 75 layers), runs of consecutive top-level names are grouped
(`0–12`). A group's value is the L2 norm of its layers' weights taken together: the square
root of the sum of the squares of its members' norms. The run folder keeps every layer's own
norm; only the plot groups them."""

from __future__ import annotations

import dataclasses
import math

import pyqtgraph as pg

from engine.core.i18n import _, integer, n_
from gui.plotting.colors import series_color, series_style
from gui.plotting.series import Series

MAX_GROUPS = 12  # curves a legend of 4 columns and a reader's eye still tell apart


def _by_prefix(names: list[str], depth: int) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(".".join(name.split(".")[:depth]), []).append(name)
    return groups


def _consecutive(groups: dict[str, list[str]], limit: int) -> dict[str, list[str]]:
    """Too many top-level names: `limit` runs of consecutive ones, named first–last."""
    keys = list(groups)
    out: dict[str, list[str]] = {}
    for i in range(limit):
        part = keys[len(keys) * i // limit: len(keys) * (i + 1) // limit]
        if part:
            name = part[0] if len(part) == 1 else f"{part[0]}–{part[-1]}"
            out[name] = [m for k in part for m in groups[k]]
    return out


def group_layers(names: list[str], limit: int = MAX_GROUPS) -> dict[str, list[str]]:
    """Group name -> its layers, in the network's order: every layer on its own up to
    `limit`, else by module-name prefix (the deepest depth with at most `limit` groups)."""
    if len(names) <= limit:
        return {n: [n] for n in names}
    deepest = max(n.count(".") + 1 for n in names)
    best, depth = None, 1
    for depth in range(1, deepest + 1):
        groups = _by_prefix(names, depth)
        if len(groups) > limit:
            break
        best = groups
    if best is None or len(best) == 1:  # too many names, or all under one (`body.0` … `body.74`)
        return _consecutive(_by_prefix(names, depth), limit)
    return best


class LayerGroups:
    """How a run's layers are drawn: the groups, their legend labels, their values."""

    def __init__(self, names: list[str], limit: int = MAX_GROUPS):
        self.groups = group_layers(list(names), limit)
        self.grouped = any(len(m) > 1 or g != m[0] for g, m in self.groups.items())
        self.labels = [self.label(g) for g in self.groups]

    def label(self, group: str) -> str:
        members = self.groups[group]
        if members == [group]:  # a layer on its own keeps its name
            return group
        # i18n: a legend's name for several layers drawn as one curve: encoder.block1 (3 layers)
        return n_("{group} ({count} layer)", "{group} ({count} layers)", len(members)).format(
            group=group, count=integer(len(members)))

    def values(self, norms: dict[str, float]) -> dict[str, float]:
        """Each group's norm: sqrt of the sum of squares of its members' logged norms."""
        if not self.grouped:
            return norms
        out = {}
        for group, members in self.groups.items():
            found = [norms[m] for m in members if m in norms]
            if found:
                out[self.label(group)] = math.sqrt(sum(v * v for v in found))
        return out

    def apply(self, e):
        """An EpochMetrics with its weight and gradient norms per group (itself when not grouped)."""
        if not self.grouped:
            return e
        return dataclasses.replace(e, weight_norms=self.values(e.weight_norms), grad_norms=self.values(e.grad_norms))

    def members_text(self) -> str:
        """What each group holds, for the plots' tooltips ('' when every layer is its own)."""
        if not self.grouped:
            return ""
        # i18n: a line of the norm plots' tooltip: a group's name and its layers' names, joined by ", "
        lines = [_("{group}: {layers}").format(group=g, layers=", ".join(m)) for g, m in self.groups.items()]
        return "\n".join([_("Layers grouped by module name (norm of the group = √Σ of its layers' squared norms):"),
                          *lines])

    def add_series(self, norms: pg.PlotWidget, grads: pg.PlotWidget, layer_series: dict, grad_series: dict) -> None:
        """One weight-norm and one gradient-norm curve per group, into the panel's dicts."""
        for i, label in enumerate(self.labels):
            # Three colours every eye tells apart, then the same three dashed, dotted, ...
            color, style = series_color(i), series_style(i)
            layer_series[label] = Series(norms.plot(name=label, pen=pg.mkPen(color, width=2, style=style)))
            grad_series[label] = Series(grads.plot(name=label, pen=pg.mkPen(color, width=1.5, style=style)))
        for plot in (norms, grads):
            plot.setToolTip(self.members_text())
