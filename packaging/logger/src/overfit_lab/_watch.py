"""Per-layer weight and gradient norms from the optimizer's own step: a pre-step hook adds
each layer's gradient norm (on the device, before the step changes anything) to a running
sum; nothing is read back until the epoch ends."""

from __future__ import annotations

import torch


class Norms:
    """The layers of `model` that have a weight of two or more dimensions (linear,
    convolution, embedding), named as the model names them."""

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, scaler=None):
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"ol.watch(model=...): a torch.nn.Module, not {type(model).__name__}")
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"ol.watch(optimizer=...): a torch.optim.Optimizer, not {type(optimizer).__name__}")
        self.model, self.optimizer, self.scaler = model, optimizer, scaler
        # DistributedDataParallel and torch.compile wrap the model: the layers keep their names
        inner = getattr(model, "module", None) or getattr(model, "_orig_mod", None) or model
        # every such layer, trainable now or not: a fine-tune that unfreezes a backbone later
        # gets its norms too (a frozen layer's missing gradient counts as 0)
        self.names, self.weights = [], []
        for name, p in inner.named_parameters():
            if p.dim() >= 2:
                self.names.append(name.removesuffix(".weight"))
                self.weights.append(p)
        self.parameter_count = sum(p.numel() for p in inner.parameters())
        self._grad_sum: torch.Tensor | None = None
        self.steps = 0  # optimizer steps this epoch (a GradScaler's skipped steps do not call the hook)
        self._handle = optimizer.register_step_pre_hook(self._before_step)

    def _before_step(self, _optimizer, _args, _kwargs) -> None:
        # With AMP's GradScaler, scaler.step() unscales the gradients before it calls
        # optimizer.step(), so the norms read here are the unscaled ones.
        if not self.weights:
            return
        grads = [p.grad for p in self.weights]
        if any(g is None for g in grads):
            grads = [g if g is not None else torch.zeros((), device=p.device) for g, p in zip(grads, self.weights, strict=True)]
        with torch.no_grad():
            norms = torch.stack([n.float() for n in torch._foreach_norm(grads)])
            self._grad_sum = norms if self._grad_sum is None else self._grad_sum + norms
        self.steps += 1

    def epoch_values(self, device: torch.device) -> torch.Tensor:
        """[weight norms..., mean gradient norms...] on `device`, for the epoch's one read back;
        the gradient sums start again."""
        n = len(self.weights)
        if not n:
            return torch.zeros(0, device=device)
        with torch.no_grad():
            weights = torch.stack([w.float() for w in torch._foreach_norm([p.detach() for p in self.weights])])
            grads = (self._grad_sum / self.steps) if self._grad_sum is not None and self.steps else torch.full((n,), float("nan"), device=weights.device)
        self._grad_sum, self.steps = None, 0
        return torch.cat([weights, grads]).to(device)

    def lr(self) -> float:
        return float(self.optimizer.param_groups[0].get("lr", float("nan")))

    def remove(self) -> None:
        self._handle.remove()

    def record_step(self) -> None:
        """Add the gradients' norms now, for a caller that knows when backward is done (the
        Lightning callback, whose optimizer.step(closure) runs backward after the pre-hook)."""
        self._before_step(self.optimizer, (), {})
