"""Several processes under torchrun: world size and rank, DDP around a Trainable, rank 0's broadcasts."""
from __future__ import annotations

import inspect
import os


def launched_world() -> tuple[int, int]:
    """(world size, rank) of torchrun's environment, (1, 0) outside it: no torch import."""
    try:
        size = max(1, int(os.environ.get("WORLD_SIZE") or 1))
        return size, (int(os.environ.get("RANK") or 0) if size > 1 else 0)
    except ValueError:
        return 1, 0


def joined_group():
    """``torch.distributed`` when this process has joined a process group, else None."""
    try:
        import torch.distributed as dist
    except ImportError:  # pragma: no cover
        return None
    return dist if dist.is_available() and dist.is_initialized() else None


def world() -> tuple[int, int]:
    """(world size, rank): of a process group already joined, else of torchrun's environment."""
    dist = joined_group()
    return (dist.get_world_size(), dist.get_rank()) if dist else launched_world()


def ddp(net, forward_loss):
    """``net`` in DistributedDataParallel, whose ``forward`` is ``forward_loss`` (the task's, which runs ``net``)."""
    import torch
    from torch.nn.parallel import DistributedDataParallel

    class ForwardLoss(torch.nn.Module):  # DDP averages the gradients of what its own forward computed
        def __init__(self, module) -> None:
            super().__init__()
            self.module = module

        def forward(self, batch: dict):
            return forward_loss(batch)

    # No device_ids: batches are on the device already, and lengths must stay on the CPU. Buffers (CRF
    # constraints, class weights) are constants: not re-broadcast. Every parameter takes part in every loss.
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
    """A batch sampler's ``num_replicas``/``rank`` for shuffled (training) batches in a joined group."""
    dist = joined_group()
    return {"num_replicas": dist.get_world_size(), "rank": dist.get_rank()} if shuffle and dist else {}


__all__ = ["launched_world", "joined_group", "world", "ddp", "broadcast_object", "distributed_kwargs"]
