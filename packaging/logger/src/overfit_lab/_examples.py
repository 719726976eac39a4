"""Per-example dynamics of a run: each example's margin, probability, prediction and label,
kept in a device buffer indexed by the example's index in the dataset and written once an
epoch (dynamics/ in the engine's format).

Only the examples trained on are written (a split such as Subset(ol.Indexed(full), train_ids)
leaves the others out): the examples file lists them by their dataset index, in the order
they were first trained on, so an example first trained in a later epoch (a loader's
drop_last, a sampler) is added at the end and the earlier epochs' files stay a prefix of it
(the reader gives them NaN figures for it)."""

from __future__ import annotations

import warnings

import numpy as np
import torch

from overfit_lab import _checks as checks
from overfit_lab import _files as files


class ExampleRecord:
    """The Run's per-example part (a mixin: Run holds the state its __init__ sets)."""

    # ---- checks at the call -----------------------------------------------------------------
    def _check_logits(self, logits, targets, index) -> int:
        size, width = checks.logits(logits, self.class_names)
        if targets is None:
            if index is not None:
                raise ValueError("run.batch(targets=...): per-example dynamics need the batch's targets "
                                 "(the labels trained on) with its logits and index")
            return size
        checks.targets(targets, size, width)
        if index is None:
            if self._dyn is not None:
                raise ValueError("run.batch(index=...): missing, though earlier batches gave it: per-example "
                                 "dynamics need every batch's index (wrap the dataset: ol.Indexed(dataset))")
            if self.examples is None and self.epochs == [] and self._batches == 0:
                warnings.warn("run.batch(): no index= given, so no per-example dynamics (the Examples tab, "
                              "`main.py suspects`) are recorded; wrap the training dataset as ol.Indexed(dataset) "
                              "and pass each batch's index: for x, y, idx in loader: … run.batch(…, index=idx)",
                              stacklevel=3)
            return size
        index = checks.index(index, size)
        if index.device.type == "cpu" and index.numel():
            # cheap on the host; an index on the GPU is checked on the device (see _add_logits)
            low, high = int(index.min()), int(index.max())
            n = self._example_count()
            # Only a size ol.Indexed gave is a limit: without one the buffers grow with the
            # largest index seen, in any epoch (a sampler may reach the last example late).
            if low < 0 or (n is not None and high >= n):
                bad = low if low < 0 else high
                where = f"0 … {n - 1}; {self._sized_by}" if n is not None else "an index is 0 or more"
                raise IndexError(f"run.batch(index=...): index {bad} is outside the training dataset ({where})")
            self._max_index = max(self._max_index, high)
        return size

    def _example_count(self) -> int | None:
        """The number of examples in the dataset the index counts in: the size of the
        ol.Indexed dataset (where one was made, or all made are of one size), else None (the
        buffers grow with the largest index seen)."""
        if self.examples is None and not self._size_asked:
            from overfit_lab._indexed import indexed_size

            self._size_asked = True
            self.examples = indexed_size()
            if self.examples is not None:
                self._sized_by = f"{self.examples:,} examples, the size of the ol.Indexed dataset"
        return self.examples

    # ---- device-side accumulation --------------------------------------------------------
    def _add_logits(self, logits, targets, index) -> None:
        targets = targets.to(logits.device, non_blocking=True).long()
        self._width = logits.shape[1]
        predicted = logits.argmax(dim=1)
        self._correct = (predicted == targets).sum() + (self._correct if self._correct is not None else 0)
        self._seen += logits.shape[0]
        if index is None or not self.recording:
            return
        if not torch.is_tensor(index):
            index = torch.as_tensor(index)
        on_host = index.device.type == "cpu"
        if not on_host and self.examples is None:
            raise ValueError("run.batch(index=...): the index is on the GPU, and the dataset's size is not "
                             "known: wrap the training dataset as ol.Indexed(dataset) before the loop (its size "
                             "is then known), or leave the index on the CPU")
        width = self.examples or self._max_index + 1
        if self._dyn is None:
            dev = logits.device
            # margin, probability, predicted, given; an example not yet trained on has no
            # label (NaN): that is how the epoch's write tells the examples trained on
            self._dyn = torch.full((4, max(width, 1)), float("nan"), device=dev)
            self._dyn[2] = 0
            self._bad_index = torch.zeros((), dtype=torch.long, device=dev)
        elif width > self._dyn.shape[1]:  # no known size: grow (doubling) with the largest index seen
            grown = torch.full((4, max(width, 2 * self._dyn.shape[1])), float("nan"), device=self._dyn.device)
            grown[2] = 0
            grown[:, :self._dyn.shape[1]] = self._dyn
            self._dyn = grown
        index = index.to(logits.device, non_blocking=True).long()
        keep = None
        if not on_host:
            # A GPU index is not read back per batch (that would wait for the device): indices
            # out of range are counted on the device and left out; the count is read with the
            # epoch's figures, and run.epoch() warns naming how many.
            bad = (index < 0) | (index >= self.examples)
            self._bad_index += bad.sum()
            index = torch.where(bad, torch.zeros_like(index), index)
            keep = ~bad
        x = logits.float()
        given = x.gather(1, targets[:, None])[:, 0]
        others = x.scatter(1, targets[:, None], float("-inf"))
        margin = given - others.max(dim=1).values
        probability = torch.softmax(x, dim=1).gather(1, targets[:, None])[:, 0]
        rows = torch.stack([margin, probability, predicted.float(), targets.float()])
        if keep is not None:
            rows = torch.where(keep[None, :], rows, self._dyn[:, index])
        self._dyn[:, index] = rows

    # ---- the epoch's write ------------------------------------------------------------------
    def _write_dynamics(self, number: int, dyn: np.ndarray) -> None:
        """`dyn` [4, buffer width] on the host. A failed write (a full disk) stops recording
        with a warning in the summary and at the call; training goes on. Later epochs are not
        written (a reader reads up to the first epoch missing)."""
        if not self.recording:
            return
        what = "its training examples"
        try:
            trained = np.flatnonzero(~np.isnan(dyn[3]))  # (a label is set by the first batch that trains it)
            new = np.setdiff1d(trained, self._rows)
            if new.size or not self._examples_written:
                # the examples file first: a reader that sees this epoch's file sees it too
                rows = np.concatenate([self._rows, new])
                width = self._width or int(np.nanmax(dyn[3], initial=0)) + 1
                names = self.class_names or [str(i) for i in range(width)]
                files.write_examples(self.path, rows, dyn[3][rows].astype(np.int64), names)
                self._rows, self._examples_written = rows, True
            what = f"epoch {number}"
            rows = self._rows
            files.write_epoch(self.path, number, dyn[1][rows], dyn[0][rows], dyn[2][rows])
            self._last_dynamics = number
        except OSError as exc:
            self.recording = False
            self._dyn = None
            warning = (f"per-example dynamics stopped: writing {what} to {self.path / files.DYNAMICS} failed "
                       f"({exc.strerror or exc}); training went on without recording them")
            self.summary["warnings"] = [*self.summary.get("warnings", []), warning]
            self._save_summary(required=False)
            warnings.warn(warning, RuntimeWarning, stacklevel=4)
