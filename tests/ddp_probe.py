"""A probe of the shared trainer under torchrun (run by tests/training/test_distributed.py).

``python -m torch.distributed.run --standalone --nproc-per-node 2 tests/ddp_probe.py OUT``
trains a linear regression (a :class:`~zhnlp.training.trainer.Trainable` that notes the item indices of
every batch it is given) three times in one process group (one launch: starting processes
that import torch is what costs): ``full``, 4 epochs then :meth:`Trainer.finish` into
``OUT/full``; ``interrupted``, 2 epochs into ``OUT/resumed`` that leave the checkpoint behind
as a killed run would; ``resumed``, that checkpoint continued to 4 epochs. Each rank writes
``OUT/rank{R}.json``: per run, the world size, the indices seen and the weights at each step,
whether the rank wrote the model, the history and the final weights.
"""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

N_ITEMS, BATCH = 96, 8  # 12 batches an epoch: 6 per rank of 2, none repeated to even out


def items() -> list[dict]:
    rng = random.Random(0)
    out = []
    for i in range(N_ITEMS):
        x = [rng.uniform(-1, 1) for _ in range(4)]
        out.append({"idx": i, "x": x, "y": 2 * x[0] - x[1] + 0.5 * x[2] + 0.1 * rng.gauss(0, 1),
                    "len": rng.randrange(1, 9)})
    return out


def collate(batch: list[dict]) -> dict:
    import torch

    return {"idx": torch.tensor([it["idx"] for it in batch]),
            "x": torch.tensor([it["x"] for it in batch]),
            "y": torch.tensor([it["y"] for it in batch])}


def run(out: Path, mode: str, epochs: int) -> dict:
    import torch
    from torch import nn

    from zhnlp.training.trainer import TrainConfig, Trainer

    class Probe(nn.Module):
        # "higher is better" on the dev error makes the first epoch the best: the weights a run
        # ends with then come from rank 0's checkpoint, not from the last step
        metric, higher_is_better = "mse", True

        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(4, 1)
            self.seen: list[tuple[int, list[int]]] = []
            self.trajectory: list[list[float]] = []
            self.step = 0
            self.saved = False

        def on_train_step(self, step: int) -> None:
            self.step = step

        def weights(self) -> list[float]:
            return [float(v) for v in torch.cat([p.detach().flatten() for p in self.parameters()])]

        def forward_loss(self, batch: dict):
            self.seen.append((self.step, batch["idx"].tolist()))
            self.trajectory.append(self.weights())  # the weights this step starts from
            err = self.lin(batch["x"]).squeeze(1) - batch["y"]
            return (err ** 2).sum(), int(batch["y"].shape[0])

        def dev_scores(self, batches) -> dict:
            se, n = 0.0, 0
            for b in batches:
                se += float(((self.lin(b["x"]).squeeze(1) - b["y"]) ** 2).sum())
                n += int(b["y"].shape[0])
            return {"mse": se / n}

        def save(self, directory, metrics=None, extra_files=None) -> Path:
            d = Path(directory)
            d.mkdir(exist_ok=True)
            (d / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
            self.saved = True
            return d

    torch.manual_seed(1)
    data = items()
    model = Probe()
    config = TrainConfig(epochs=epochs, batch_size=BATCH, lr=0.05, patience=0, progress=False, threads=1, seed=3)
    trainer = Trainer(model, data, data[:32], collate=collate, lengths=[it["len"] for it in data],
                      config=config, output=out, resume=mode == "resume")
    result = trainer.train()
    world_size, rank = trainer.world_size, trainer.rank
    if mode == "interrupt":  # no finish: the checkpoint stays, as after a kill
        metrics = {"checkpoint_left": (trainer.checkpoint / "trainer.json").is_file(), "model_written": out.exists()}
    else:
        metrics = {"history": result.history}
        trainer.finish(metrics)
    report = {"rank": rank, "world_size": world_size, "seen": model.seen, "saved": model.saved,
              "epochs": [r["epoch"] for r in result.history], "best_epoch": result.best_epoch,
              "metrics_world_size": metrics.get("world_size"), "checkpoint_left": metrics.get("checkpoint_left"),
              "model_written": metrics.get("model_written"),
              "trajectory": model.trajectory, "weights": model.weights()}
    return report


def main(out: Path) -> None:
    import torch.distributed as dist

    dist.init_process_group("gloo")  # the caller's group: the trainer uses it and leaves it open
    reports = {"full": run(out / "full", "full", 4)}
    dist.barrier()
    reports["interrupted"] = run(out / "resumed", "interrupt", 2)
    dist.barrier()
    reports["resumed"] = run(out / "resumed", "resume", 4)
    (out / f"rank{dist.get_rank()}.json").write_text(json.dumps(reports), encoding="utf-8")
    dist.destroy_process_group()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
