"""Options of the shared trainer, declared once for every ``zhnlp train-*`` command."""
from __future__ import annotations

import sys

import typer

from ..training.distributed import launched_world
from ..training.trainer import TrainConfig

GPU = typer.Option(False, "--gpu", help="Train on the GPU (cuda; the local rank's under torchrun).")
DEVICE = typer.Option(None, "--device", help="cpu | cuda | cuda:N (overrides --gpu).")
AMP = typer.Option(False, "--amp", help="Mixed precision (GPU only).")
BATCH_SIZE = typer.Option(64, "--batch-size", help="Items per update; per process under torchrun "
                                                    "(N processes: N x this per update).")
WEIGHT_DECAY = typer.Option(0.0, "--weight-decay")
LR_DECAY = typer.Option(1.0, "--lr-decay", help="Multiply the learning rate by this every epoch.")
WARMUP = typer.Option(0, "--warmup", help="Linear warm-up over this many updates.")
WARMUP_EPOCHS = typer.Option(0.0, "--warmup-epochs", help="Linear warm-up over this many epochs' worth of updates "
                                                          "(scales with the data; --warmup, where given, wins).")
CLIP = typer.Option(5.0, "--clip", help="Gradient norm clipping (0: off).")
PATIENCE = typer.Option(5, "--patience", help="Stop after this many epochs without a better dev score.")
BUCKET = typer.Option(True, "--bucket/--no-bucket", help="Length-bucketed batches.")
SEED = typer.Option(1, "--seed", help="Seeds every random source.")
THREADS = typer.Option(1, "--threads", help="torch CPU threads (0: torch's default, a thread per core, which slows "
                                             "down many times over when another job shares the cores).")
ADVERSARIAL = typer.Option(0.0, "--adversarial", help="Adversarial training (FGM): each step also learns from "
                                                      "embeddings moved this far (L2) along their gradient; "
                                                      "about 1.0 for trained vectors (0: off; twice the time).")
EMA = typer.Option(0.0, "--ema", help="Keep an exponential moving average of the weights with this decay "
                                      "per update (e.g. 0.999) and select and save it (0: off).")
RESUME = typer.Option(False, "--resume", help="Continue an interrupted run from its checkpoint.")
FORCE = typer.Option(False, "--force", help="Replace a zhnlp model directory at -o (kept until the new one is "
                                            "complete); anything else there is never replaced.")
QUIET = typer.Option(False, "-q", "--quiet", help="No progress bar or summary.")


def train_config(*, epochs: int, batch_size: int, lr: float, weight_decay: float, lr_decay: float, warmup: int,
                 clip: float, patience: int, seed: int, gpu: bool, device: str | None, amp: bool, bucket: bool,
                 threads: int, quiet: bool, adversarial: float = 0.0, ema: float = 0.0, warmup_epochs: float = 0.0):
    """The :class:`~zhnlp.training.trainer.TrainConfig` of the parsed options."""
    return TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay, lr_decay=lr_decay,
                       warmup_steps=warmup, warmup_epochs=warmup_epochs, clip_norm=clip, patience=patience, seed=seed,
                       device=device or ("cuda" if gpu else "cpu"), amp=amp, bucket=bucket, threads=threads,
                       adversarial=adversarial, ema=ema, progress=not quiet and sys.stderr.isatty())


def scores_line(metrics: dict, keys: tuple[str, ...]) -> str:
    """``dev accuracy 93.10, test accuracy 92.80`` from metrics.json (fractions → ×100)."""
    parts = [f"{split} {k.replace('_', '-')} {100 * metrics[split][k]:.2f}" for split in ("dev", "test")
             if split in metrics for k in keys if k in metrics[split]]
    return ", ".join(parts) or "no dev/test scores"


def data_report(quiet: bool):
    """The ``report`` callback of the ``train_*`` functions: a line per file read, by rank 0; None with --quiet."""
    if quiet:
        return None
    def report(summaries) -> None:
        if launched_world()[1] == 0:
            for summary in summaries:
                typer.echo(f"read {summary.describe()}", err=True)

    return report
