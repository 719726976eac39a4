"""A deep network's per-layer norms stay readable in the window: past 12 layers they are
grouped by module name, each group's curve the norm of its layers together, while the run
folder keeps every layer's own norm."""

import json
import math

import pytest

from engine.runs.reader import list_runs
from gui.plotting.layer_groups import MAX_GROUPS, group_layers
from tests.gui.conftest import RUN_TIMEOUT
from tests.helpers import tiny_config

DEEP_NET = '''
from collections import OrderedDict
from torch import nn


def build(input_shape, num_classes):
    inputs = 1
    for size in input_shape:
        inputs *= size
    blocks = OrderedDict()
    for b in range(6):  # 6 blocks of 6 (Linear, LayerNorm, ReLU): 144 parameter tensors
        layers = []
        for _ in range(6):
            layers += [nn.Linear(8, 8), nn.LayerNorm(8), nn.ReLU()]
        blocks[f"block{b}"] = nn.Sequential(*layers)
    return nn.Sequential(OrderedDict(flatten=nn.Flatten(), stem=nn.Linear(inputs, 8),
                                     encoder=nn.Sequential(blocks), head=nn.Linear(8, num_classes)))
'''


def test_a_deep_user_network_plots_its_norms_by_module_name(qtbot, window, tmp_path):
    path = tmp_path / "deep_net.py"
    path.write_text(DEEP_NET)
    window.settings_panel.set_config(tiny_config({"model.file": f"{path}:build", "optim.epochs": 2}))
    with qtbot.waitSignal(window.run_ended, timeout=RUN_TIMEOUT):
        assert window.start_run()
    run_dir = list_runs(window.runs_dir)[0]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert len(summary["layer_names"]) == 38  # stem, 36 Linear layers, head
    plots = window.plots
    assert list(plots.layer_series) == ["stem", *[f"encoder.block{b} (6 layers)" for b in range(6)], "head"]
    assert list(plots.grad_series) == list(plots.layer_series)
    legend = [label.text for _, label in plots.plots["norms"].getPlotItem().legend.items]
    assert legend == list(plots.layer_series) and len(legend) <= MAX_GROUPS
    assert "encoder.block2: encoder.block2.0, encoder.block2.3, encoder.block2.6" in plots.plots["norms"].toolTip()
    # The run folder keeps every layer's norm; the group's curve is their norm taken together.
    epochs = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()
              if '"EpochMetrics"' in line]
    last = epochs[-1]
    assert len(last["weight_norms"]) == 38
    members = [n for n in last["weight_norms"] if n.startswith("encoder.block3.")]
    assert len(members) == 6
    for series, logged in ((plots.layer_series, last["weight_norms"]), (plots.grad_series, last["grad_norms"])):
        expected = math.sqrt(sum(logged[m] ** 2 for m in members))
        assert series["encoder.block3 (6 layers)"].value_at(last["epoch"]) == pytest.approx(expected, rel=1e-5)
        assert series["stem"].value_at(last["epoch"]) == pytest.approx(logged["stem"], rel=1e-5)


def test_a_flat_sequential_of_many_layers_is_grouped_in_consecutive_runs():
    names = [str(i) for i in range(0, 150, 2)]  # nn.Sequential's own names: 75 layers, one level deep
    groups = group_layers(names)
    assert len(groups) == MAX_GROUPS
    assert list(groups)[0] == "0–10" and groups["0–10"] == ["0", "2", "4", "6", "8", "10"]
    assert [m for ms in groups.values() for m in ms] == names  # every layer once, in order
    wrapped = group_layers([f"body.{n}" for n in names])  # all under one module: not one curve
    assert len(wrapped) == MAX_GROUPS and list(wrapped)[0] == "body.0–body.10"


def test_a_shallow_network_keeps_a_line_per_layer():
    names = ["features.0", "features.4", "head.2", "head.4"]
    assert group_layers(names) == {n: [n] for n in names}
