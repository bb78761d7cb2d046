"""Several processes under torchrun: the world size and rank, DistributedDataParallel around a
Trainable, and what rank 0 sends to the others. Nothing here imports torch at module level."""
from __future__ import annotations

import os


def launched_world() -> tuple[int, int]:
    """(world size, rank) of torchrun's environment (``WORLD_SIZE``, ``RANK``); (1, 0) outside
    torchrun. Reads the environment only: cheap, and no torch import."""
    try:
        size = max(1, int(os.environ.get("WORLD_SIZE") or 1))
        return size, (int(os.environ.get("RANK") or 0) if size > 1 else 0)
    except ValueError:
        return 1, 0


def world() -> tuple[int, int]:
    """(world size, rank): of a process group already joined, else of torchrun's environment."""
    try:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            return dist.get_world_size(), dist.get_rank()
    except ImportError:  # pragma: no cover
        pass
    return launched_world()


def ddp(net, forward_loss):
    """``net`` in DistributedDataParallel, with ``forward`` = ``forward_loss`` (the task's, which runs ``net``).

    DDP averages the gradients of what its own ``forward`` computed, and a Trainable's
    training step is ``forward_loss``, so a thin module calls that. ``device_ids`` stays
    unset: batches are already on the device, and ``lengths`` must stay on the CPU (DDP
    would move them). Buffers (CRF constraints, class weights) are constants, so they are
    not re-broadcast every step. Every parameter of zhnlp's models takes part in every
    loss (frozen embeddings have no gradient at all), so no search for unused ones.
    """
    import inspect

    import torch
    from torch.nn.parallel import DistributedDataParallel

    class ForwardLoss(torch.nn.Module):
        def __init__(self, module) -> None:
            super().__init__()
            self.module = module

        def forward(self, batch: dict):
            return forward_loss(batch)

    newer = "forward_sync_buffers" in inspect.signature(DistributedDataParallel).parameters  # torch >= 2.13
    no_sync = {"forward_sync_buffers": False} if newer else {"broadcast_buffers": False}
    return DistributedDataParallel(ForwardLoss(net), **no_sync)


def broadcast_object(obj):
    """Rank 0's ``obj`` on every rank (JSON-able bookkeeping, in memory: nothing is written)."""
    import torch.distributed as dist

    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def distributed_kwargs(shuffle: bool) -> dict:
    try:
        import torch.distributed as dist

        if shuffle and dist.is_available() and dist.is_initialized():
            return {"num_replicas": dist.get_world_size(), "rank": dist.get_rank()}
    except ImportError:  # pragma: no cover
        pass
    return {}


__all__ = ["launched_world", "world", "ddp", "broadcast_object", "distributed_kwargs"]
