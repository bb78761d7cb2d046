"""What the trainer does to weights besides the optimizer step: FGM, EMA, the finiteness check, flat optimizer state."""
from __future__ import annotations

from contextlib import contextmanager

from ..errors import ZhnlpError


def adversarial_parameters(model, epsilon: float) -> list:
    """The embedding weights that ``--adversarial`` perturbs (none when it is off)."""
    if not epsilon:
        return []
    if not hasattr(model, "adversarial_parameters"):
        raise ZhnlpError(f"--adversarial is not available for {type(model).__name__}")
    return [p for p in model.adversarial_parameters() if p.requires_grad]


@contextmanager
def replaced(params: list, values: list):
    """``values`` in ``params`` (in place) for the block, the original weights after it."""
    import torch

    with torch.no_grad():
        saved = [p.detach().clone() for p in params]
        for p, v in zip(params, values):
            p.copy_(v)
    try:
        yield
    finally:
        with torch.no_grad():
            for p, original in zip(params, saved):
                p.copy_(original)


def perturbed(params: list, epsilon: float):
    """Each of ``params`` moved by ``epsilon`` along its L2-normalised gradient for the block (FGM)."""
    import torch

    moved, values = [], []
    with torch.no_grad():
        for p in params:
            norm = p.grad.norm() if p.grad is not None else None
            if norm is not None and torch.isfinite(norm) and norm > 0:
                moved.append(p)
                values.append(torch.add(p.detach(), p.grad, alpha=epsilon / float(norm)))
    return replaced(moved, values)


class WeightAverage:
    """An exponential moving average of ``params`` (``--ema``), its decay ramped up so the initial weights fade."""
    def __init__(self, params: list, decay: float) -> None:
        self.params, self.decay = params, decay
        self.shadow = [p.detach().clone() for p in params]

    def update(self, step: int) -> None:
        import torch

        decay = min(self.decay, (1 + step) / (10 + step))  # early averages not dominated by the initial weights
        with torch.no_grad():
            torch._foreach_lerp_(self.shadow, [p.detach() for p in self.params], 1 - decay)

    def applied(self):
        """The averaged weights in the parameters for the block, the trained ones after it."""
        return replaced(self.params, self.shadow)

    def tensors(self) -> dict:
        return {str(i): t.detach().cpu().contiguous() for i, t in enumerate(self.shadow)}

    def load(self, tensors: dict) -> None:
        import torch

        with torch.no_grad():
            for i, t in enumerate(self.shadow):
                t.copy_(tensors[str(i)])


def all_finite(params: list) -> bool:
    """Whether every weight in ``params`` is finite (checked once an epoch, before a checkpoint)."""
    import torch

    with torch.no_grad():
        return all(bool(torch.isfinite(p).all()) for p in params)


def flatten_optimizer(sd: dict) -> tuple[dict, dict]:
    """Optimizer state as (tensors for safetensors, JSON-able rest)."""
    import torch

    tensors, scalars = {}, {}
    for idx, st in sd["state"].items():
        for name, value in st.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{idx}.{name}"] = value.detach().cpu().contiguous()
            else:
                scalars[f"{idx}.{name}"] = value
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def unflatten_optimizer(tensors: dict, meta: dict) -> dict:
    """The optimizer state dict back from :func:`flatten_optimizer`'s two parts."""
    state: dict[int, dict] = {}
    for key, value in list(tensors.items()) + list(meta["scalars"].items()):
        idx, name = key.split(".", 1)
        state.setdefault(int(idx), {})[name] = value
    return {"state": state, "param_groups": meta["param_groups"]}


__all__ = ["adversarial_parameters", "replaced", "perturbed", "WeightAverage", "all_finite", "flatten_optimizer",
           "unflatten_optimizer"]
