"""The logger under torch.distributed (torchrun, DistributedDataParallel): rank 0 writes the
run folder; every rank records the examples it trains on, and at each epoch's end their
records are merged onto rank 0 with a few collectives (no per-batch communication): the
per-example margins, the epoch's training loss and accuracy over all ranks' batches, and
the window's Stop, which every rank obeys at the same epoch.

Every rank calls ol.init / run.batch() / run.epoch() as a single process would: run.epoch()
is a collective point (like a DDP backward), so a rank that skips it makes the others wait.
Ranks other than 0 keep their few files (config, metrics lines) in a temporary folder that
run.finish() removes. A Pause blocks rank 0 in run.batch(); the other ranks wait in their
next collective (DDP's gradient all-reduce), so a pause longer than the process group's
timeout (torch's default: 10 minutes for NCCL, 30 for gloo) ends the job with that error. Nothing here does anything when torch.distributed is not initialized
(or its world size is 1): ol.init makes a plain Run then.
"""

from __future__ import annotations

import shutil
import tempfile

import torch

from overfit_lab._run import Run


def _dist():
    """torch.distributed if a process group is up with more than one rank, else None."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        return dist
    return None


def rank() -> int:
    dist = _dist()
    return dist.get_rank() if dist else 0


def world_size() -> int:
    dist = _dist()
    return dist.get_world_size() if dist else 1


def is_writer() -> bool:
    """Whether this process writes the run folder: rank 0, or the only process."""
    return rank() == 0


def _device(tensor: torch.Tensor) -> torch.device:
    """Where a collective's tensors must be: NCCL reduces CUDA tensors only, gloo CPU ones."""
    dist = _dist()
    return tensor.device if dist.get_backend() == "nccl" else torch.device("cpu")


def broadcast(value):
    """Rank 0's `value` (any picklable object: the run folder's path, say) on every rank."""
    dist = _dist()
    if dist is None:
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def any_rank(flag: bool) -> bool:
    """True on every rank if `flag` is True on any (the window's Stop reaches rank 0 only:
    every rank must leave the loop at the same epoch, or the others wait forever)."""
    dist = _dist()
    if dist is None:
        return bool(flag)
    device = torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else torch.device("cpu")
    t = torch.tensor([1 if flag else 0], dtype=torch.int32, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def merge_examples(seen: torch.Tensor, arrays: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Merge per-example records of all ranks: `seen` [n] (bool) marks the examples this rank
    trained on this epoch, `arrays` hold one value per example ([n], any dtype). Returns
    (seen by any rank, arrays) on every rank, on the tensors' device. An example more than one
    rank saw (DistributedSampler pads the last batch with repeats) takes the values of the
    highest such rank, whole: no mixing of one rank's margin with another's prediction.
    Ranks whose `n` differ (buffers that grew with the largest index seen) are padded to the
    largest."""
    dist = _dist()
    if dist is None:
        return seen, arrays
    home = seen.device
    dev = _device(seen)
    n = torch.tensor([seen.numel()], dtype=torch.int64, device=dev)
    dist.all_reduce(n, op=dist.ReduceOp.MAX)
    size = int(n.item())

    def padded(t: torch.Tensor) -> torch.Tensor:
        t = t.to(dev)
        if t.numel() < size:
            t = torch.cat([t, torch.zeros(size - t.numel(), dtype=t.dtype, device=dev)])
        return t

    me = dist.get_rank() + 1
    owner = torch.where(padded(seen).bool(), me, 0).to(torch.int32)
    dist.all_reduce(owner, op=dist.ReduceOp.MAX)
    mine = owner == me
    # one SUM of every array, each rank contributing only the examples it owns: float64
    # holds int16 classes and float32 values exactly
    stacked = torch.stack([torch.where(mine, padded(a).to(torch.float64), 0.0) for a in arrays.values()])
    dist.all_reduce(stacked, op=dist.ReduceOp.SUM)
    merged = {k: stacked[i].to(a.dtype).to(home) for i, (k, a) in enumerate(arrays.items())}
    return (owner > 0).to(home), merged


def run_class() -> type[Run]:
    """The class ol.init makes: DistributedRun under a process group of several ranks."""
    return DistributedRun if _dist() is not None else Run


class DistributedRun(Run):
    """A Run on one rank of several: rank 0's writes the run folder, every rank's merges its
    examples into it at each epoch's end."""

    def __init__(self, name, config=None, runs_dir=None, classes=None):
        self.rank = rank()
        self._scratch = None
        if self.rank != 0:
            # the base class writes as it goes: a rank's own lines go to a scratch folder
            self._scratch = tempfile.mkdtemp(prefix=f"overfit-lab-rank{self.rank}-")
            runs_dir = self._scratch
        super().__init__(name, config, runs_dir, classes)
        if self._scratch is not None:
            self.heartbeat.stop()  # (nobody watches a scratch folder)
        self._counts = None  # [examples]: how often this rank trained on each, this epoch
        self._agreed_stop = False

    def _add_logits(self, logits, targets, index) -> None:
        super()._add_logits(logits, targets, index)
        if index is None or self._dyn is None:
            return
        width = self._dyn.shape[1]
        if self._counts is None or self._counts.shape[0] != width:
            counts = torch.zeros(width, dtype=torch.int32, device=self._dyn.device)
            if self._counts is not None:
                counts[:self._counts.shape[0]] = self._counts[:width]
            self._counts = counts
        index = torch.as_tensor(index).to(self._dyn.device, non_blocking=True).long()
        valid = (index >= 0) & (index < width)  # (out-of-range ones on the device: left out, as the base does)
        self._counts.index_add_(0, index.clamp(0, width - 1), valid.to(torch.int32))

    def _epoch_record(self, number, val_loss, val_accuracy, more):
        self._merge_ranks()
        return super()._epoch_record(number, val_loss, val_accuracy, more)

    def _merge_ranks(self) -> None:
        """Every rank's epoch into this one's figures (the same on every rank)."""
        dist = _dist()
        device = self._dyn.device if self._dyn is not None else self._device
        dev = device if dist.get_backend() == "nccl" else torch.device("cpu")
        zero = torch.zeros((), device=dev)
        # training loss and accuracy: sums over every rank's batches
        totals = torch.stack([
            (self._loss_sum.to(dev).float() if self._loss_sum is not None else zero),
            (self._correct.to(dev).float() if self._correct is not None else zero),
            torch.tensor(float(self._seen), device=dev), torch.tensor(float(self._batches), device=dev),
            torch.tensor(float(self._loss_weight), device=dev),
            torch.tensor(float(self._max_index), device=dev), torch.tensor(1.0 if self._stop_by else 0.0, device=dev)])
        summed = totals.clone()
        dist.all_reduce(summed[:5], op=dist.ReduceOp.SUM)
        highest = totals[5:].clone()
        dist.all_reduce(highest, op=dist.ReduceOp.MAX)
        loss_sum, correct, seen, batches, weight = summed[:5].tolist()
        self._loss_sum = torch.tensor(loss_sum, device=device) if batches else None
        self._correct = torch.tensor(correct, device=device) if seen else None
        self._seen, self._batches, self._loss_weight = int(seen), int(batches), int(weight)
        self._max_index = max(self._max_index, int(highest[0]))
        if highest[1] > 0:
            self._agreed_stop = True
            self._stop_by = self._stop_by or "a stop request to rank 0"
        # per-example dynamics: each example from the rank that trained on it this epoch
        if any_rank(not self.recording):  # a write failed on rank 0 (a full disk): none records
            self.recording, self._dyn, self._counts = False, None, None
            return
        if not any_rank(self._dyn is not None):  # no batch gave an index
            return
        if self._dyn is None:  # (a rank without a batch with an index: it adds nothing)
            self._dyn = torch.full((4, 0), float("nan"), device=device)
            self._counts = torch.zeros(0, dtype=torch.int32, device=device)
        counts = self._counts if self._counts is not None else torch.zeros(self._dyn.shape[1], dtype=torch.int32,
                                                                          device=device)
        rows = ("margin", "probability", "predicted", "given")
        seen_any, merged = merge_examples(counts > 0, {k: self._dyn[i] for i, k in enumerate(rows)})
        width = seen_any.shape[0]
        if width > self._dyn.shape[1]:
            grown = torch.full((4, width), float("nan"), device=self._dyn.device)
            grown[2:] = 0
            grown[:, :self._dyn.shape[1]] = self._dyn
            self._dyn = grown
        stacked = torch.stack([merged[k] for k in rows]).to(self._dyn.device)
        self._dyn = torch.where(seen_any.to(self._dyn.device)[None, :], stacked, self._dyn)
        self._counts = None

    @property
    def should_stop(self) -> bool:
        """The Stop every rank agreed on at the last run.epoch(): all leave at the same epoch."""
        return self._agreed_stop

    def _write_dynamics(self, number, dyn) -> None:
        if self._scratch is None:
            super()._write_dynamics(number, dyn)

    def finish(self, status=None, message="", traceback=None) -> None:
        super().finish(status, message, traceback)
        self._counts = None  # (a device buffer: a run kept after its end holds none)
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
