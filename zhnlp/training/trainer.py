"""The one training loop of every zhnlp model (a :class:`Trainable`): Adam, clipping, warm-up, early stopping,
resumable safetensors checkpoints, AMP, EMA, FGM and torchrun's DDP (rank 0 evaluates and writes)."""
from __future__ import annotations

import json
import logging
import math
import os
import random
import shutil
import time
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Protocol, Sequence

from ..checks import check_number, json_safe
from ..errors import ZhnlpError
from .batching import BucketBatchSampler, RandomBatchSampler, to_device
from .distributed import broadcast_object, ddp, distributed_kwargs, joined_group, launched_world, world
from .plots import learning_curve_png  # re-exported: it used to live here
from .serialization import check_model_output
from .weights import (
    WeightAverage,
    adversarial_parameters,
    all_finite,
    flatten_optimizer,
    perturbed,
    unflatten_optimizer,
)

if TYPE_CHECKING:  # pragma: no cover
    import torch

log = logging.getLogger(__name__)
CHECKPOINT_VERSION = 2  # 2: the weights of the model's net (1: of a module wrapping it)
DIST_TIMEOUT_S = 3600  # torchrun: how long ranks wait for each other (rank 0 evaluates on dev alone)
LOG_FILE, CURVE_FILE = "training_log.jsonl", "learning_curve.png"


@dataclass
class TrainConfig:
    """Settings of the loop (not of the model)."""
    epochs: int = 30
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.0      # Adam's L2 term (AdamW-style decoupled when decoupled=True)
    decoupled: bool = False
    clip_norm: float = 5.0         # gradient norm clipping; 0 disables
    lr_decay: float = 1.0          # multiply the rate by this after every epoch (1: constant)
    warmup_steps: int = 0          # linear warm-up over this many updates
    warmup_epochs: float = 0.0     # or, where warmup_steps is 0, over this many epochs' worth (fits any data size)
    patience: int = 5              # stop after this many epochs without a better dev metric; 0: never
    min_epochs: int = 1
    seed: int = 1
    device: str = "cpu"
    amp: bool = False              # mixed precision (CUDA only)
    bucket: bool = True            # length-bucketed batches (False: random composition)
    num_workers: int = 0
    eval_batch_size: int = 256
    progress: bool = True
    max_steps: int = 0             # stop after this many updates in all (tests, benchmarks); 0: no limit
    threads: int = 1               # torch CPU threads (0: torch's default, a thread per core; see use_threads)
    adversarial: float = 0.0       # FGM: also the loss at embeddings moved this L2 length along their gradient
    ema: float = 0.0               # decay of a moving average of the weights that dev and the saved model use

    def __post_init__(self) -> None:
        for option, value, low in (("--epochs", self.epochs, 1), ("--batch-size", self.batch_size, 1),
                                   ("--weight-decay", self.weight_decay, 0), ("--clip", self.clip_norm, 0),
                                   ("--warmup", self.warmup_steps, 0), ("--patience", self.patience, 0),
                                   ("--min-epochs", self.min_epochs, 1), ("--num-workers", self.num_workers, 0),
                                   ("--eval-batch-size", self.eval_batch_size, 1), ("--max-steps", self.max_steps, 0),
                                   ("--threads", self.threads, 0), ("--adversarial", self.adversarial, 0)):
            check_number(option, value, low)
        check_number("--lr", self.lr, 0, 10, above=True)  # Adam: far above any useful rate, below float32 overflow
        check_number("--lr-decay", self.lr_decay, 0, 1, above=True)
        check_number("--warmup-epochs", self.warmup_epochs, 0)
        check_number("--ema", self.ema, 0, 1, below=True)


class Trainable(Protocol):
    """What the trainer knows of a model: its torch module (``net``), its loss, its dev scores, its save."""
    metric: str                    # name of the dev metric that selects the best model
    higher_is_better: bool
    net: "torch.nn.Module"         # what is trained and checkpointed (optional: else the model itself)

    def forward_loss(self, batch: dict) -> tuple["torch.Tensor", int]: ...
    def dev_scores(self, batches: Iterable[dict]) -> dict[str, float]: ...
    def save(self, directory: str | Path, metrics: dict | None = None) -> Path: ...
    # optional: ``adversarial_parameters()`` (what --adversarial perturbs), ``on_train_step(step)`` (schedules)


@dataclass
class TrainResult:
    """What :meth:`Trainer.train` did."""
    best_epoch: int
    best_score: float
    epochs_run: int
    seconds: float
    history: list[dict] = field(default_factory=list)
    output: Path | None = None
    stopped_early: bool = False
    world_size: int = 1            # processes that trained together (torchrun); 1 without


def resolve_device(device: str | None = None, gpu: bool = False) -> "torch.device":
    """``cpu``, ``cuda`` (the local rank's GPU under torchrun) or ``cuda:N``; a clear error when CUDA is absent."""
    import torch

    name = (device or ("cuda" if gpu else "cpu")).strip().lower()
    if name in ("gpu",):
        name = "cuda"
    if name == "cpu":
        return torch.device("cpu")
    if not (name == "cuda" or (name.startswith("cuda:") and name[5:].isdigit())):
        raise ZhnlpError(f"--device must be cpu, cuda or cuda:N, not {device!r}")
    if not torch.cuda.is_available():
        why = "this torch build has no CUDA support" if torch.version.cuda is None else "no GPU is visible"
        raise ZhnlpError(f"--gpu/--device {name}: CUDA is not available ({why}); use --device cpu")
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    if name == "cuda":
        name = f"cuda:{local_rank}"
    elif launched_world()[0] > 1 and int(os.environ.get("LOCAL_WORLD_SIZE", 1)) > 1 \
            and int(name[5:]) != local_rank:
        raise ZhnlpError(f"--device {name}: under torchrun every process takes the GPU of its local rank; "
                         "use --gpu or --device cuda")
    index = int(name[5:])
    if index >= torch.cuda.device_count():
        raise ZhnlpError(f"--device {name}: only {torch.cuda.device_count()} GPU(s) visible")
    return torch.device(name)


def set_seed(seed: int) -> None:
    """Seed every random source zhnlp uses: Python, numpy, torch (CPU and CUDA)."""
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


CHECKPOINT_FILES = frozenset({"trainer.json", "last.safetensors", "best.safetensors", "optimizer.safetensors",
                              "average.safetensors"})


def _is_checkpoint_dir(path: Path) -> bool:
    """Whether ``path`` is a folder that only a trainer's checkpoint files (or nothing) are in."""
    return path.is_dir() and all(p.name in CHECKPOINT_FILES and p.is_file() for p in path.iterdir())


def use_threads(threads: int) -> None:
    """Set torch's CPU threads (``--threads``; 0: torch's default, a thread per core, tenfold slower on a busy CPU)."""
    check_number("--threads", threads, 0)
    if threads:
        import torch

        torch.set_num_threads(threads)


class Trainer:
    """Train ``model`` on ``train_items`` (``collate``d into CPU batches, bucketed by ``lengths``), select on dev."""
    def __init__(self, model, train_items: Sequence[Any], dev_items: Sequence[Any], *,
                 collate: Callable[[list], dict], lengths: Sequence[int], config: TrainConfig,
                 output: str | Path, resume: bool = False,
                 on_epoch_end: Callable[[dict], None] | None = None) -> None:
        if not train_items:
            raise ZhnlpError("no training examples")
        self.model, self.train_items, self.dev_items = model, train_items, dev_items
        self.net = getattr(model, "net", model)  # the torch module: trained, checkpointed
        self.collate, self.lengths, self.config = collate, list(lengths), config
        self.output = Path(output)
        self.checkpoint = self.output.with_name(self.output.name + ".checkpoint")
        self.resume = resume
        self.on_epoch_end = on_epoch_end
        self.device = resolve_device(config.device)
        self.world_size, self.rank = world()  # torchrun's; the group is joined in train()
        self._owns_group = False
        self._average: WeightAverage | None = None  # --ema's, made in train()
        self._warmup = config.warmup_steps  # in updates; train() counts --warmup-epochs once the group is joined
        self._check_paths()

    @property
    def is_main(self) -> bool:
        """Whether this process writes files and prints (rank 0; always, without torchrun)."""
        return self.rank == 0

    def _check_paths(self) -> None:
        check_model_output(self.output, force=True)  # the task checked --force; this guards the rest
        old, tmp = (self.checkpoint.with_name(self.checkpoint.name + s) for s in (".old", ".tmp"))
        for d in (self.checkpoint, old, tmp):  # cleared or replaced below: only ever a checkpoint of ours
            if d.is_symlink() or (d.exists() and not _is_checkpoint_dir(d)):
                raise ZhnlpError(f"{d}: is in the way of this run's checkpoint and is not a zhnlp checkpoint; "
                                 "move it, or choose another -o")
        if not self.checkpoint.exists() and tmp.is_dir() and (old / "trainer.json").is_file():
            try:  # killed between the two renames of _save_checkpoint: the previous epoch's is whole
                os.replace(old, self.checkpoint)
            except OSError:  # another rank got there first
                pass
        if self.resume and not (self.checkpoint / "trainer.json").is_file():
            raise ZhnlpError(f"--resume: no checkpoint at {self.checkpoint} (nothing to resume)")
        if not self.resume and (self.checkpoint / "trainer.json").is_file():
            raise ZhnlpError(f"{self.checkpoint}: a checkpoint of an interrupted run exists; "
                             "pass --resume to continue it, or delete it to start over")

    def _join_group(self) -> None:
        """Join torchrun's process group (a group the caller made is used as it is)."""
        import torch
        import torch.distributed as dist

        if self.world_size <= 1 or dist.is_initialized():
            return
        if not dist.is_available():
            raise ZhnlpError("started by torchrun, but this torch build has no torch.distributed")
        backend = os.environ.get("ZHNLP_DIST_BACKEND") or ("nccl" if self.device.type == "cuda" else "gloo")
        if self.device.type == "cuda":
            torch.cuda.set_device(self.device)
        # rank 0 evaluates on dev while the others wait in a broadcast: allow it time
        dist.init_process_group(backend=backend, timeout=timedelta(seconds=DIST_TIMEOUT_S))
        self._owns_group = True
        self.world_size, self.rank = dist.get_world_size(), dist.get_rank()
        log.info("rank %d of %d (%s) on %s", self.rank, self.world_size, backend, self.device)

    @property
    def distributed(self) -> bool:
        """Whether this trainer trains in a process group of more than one process."""
        return self.world_size > 1 and joined_group() is not None

    def close(self) -> None:
        """Wait for every rank, then leave the group :meth:`train` joined (:meth:`finish` calls it)."""
        dist = joined_group() if self._owns_group else None
        if dist:
            dist.barrier(**({"device_ids": [self.device.index]} if dist.get_backend() == "nccl" else {}))
            dist.destroy_process_group()
        self._owns_group = False

    def _sum_over_ranks(self, *values: float) -> list[float]:
        import torch
        import torch.distributed as dist

        t = torch.tensor(values, dtype=torch.float64, device=self.device)
        dist.all_reduce(t)
        return t.tolist()

    def _loader(self, items, lengths, batch_size: int, shuffle: bool, epoch: int = 0):
        from torch.utils.data import DataLoader

        cls = BucketBatchSampler if (self.config.bucket or not shuffle) else RandomBatchSampler
        sampler = cls(lengths, batch_size, shuffle=shuffle, seed=self.config.seed,
                      **distributed_kwargs(shuffle))
        sampler.set_epoch(epoch)
        return DataLoader(items, batch_sampler=sampler, collate_fn=self.collate,
                          num_workers=self.config.num_workers, pin_memory=self.device.type == "cuda")

    def dev_batches(self, items=None):
        """Dev (or any) items as device batches, length-sorted, for ``model.dev_scores`` (on every rank, unsharded)."""
        items = self.dev_items if items is None else items
        lengths = [self.lengths_of(it) for it in items]
        for batch in self._loader(items, lengths, self.config.eval_batch_size, shuffle=False):
            yield to_device(batch, self.device)

    @staticmethod
    def lengths_of(item) -> int:
        for key in ("ids", "src"):
            if isinstance(item, dict) and key in item:
                return len(item[key])
        return len(item)

    def warmup_steps(self) -> int:
        """The warm-up in updates: ``warmup_steps`` where set, else ``warmup_epochs`` of this process's batches."""
        c = self.config
        if c.warmup_steps or not c.warmup_epochs:
            return c.warmup_steps
        per_epoch = len(self._loader(self.train_items, self.lengths, c.batch_size, shuffle=True))
        return max(1, round(c.warmup_epochs * per_epoch))

    def _lr(self, step: int, epoch: int) -> float:
        c = self.config
        lr = c.lr * (c.lr_decay ** epoch)
        warmup = self._warmup
        if warmup and step < warmup:
            lr *= (step + 1) / warmup
        return lr

    def train(self) -> TrainResult:
        """Run the epochs, ending with the best weights; an interruption keeps the last completed epoch's checkpoint."""
        self._join_group()
        try:
            return self._train()
        except KeyboardInterrupt:
            if (self.checkpoint / "trainer.json").is_file():
                raise KeyboardInterrupt(f"interrupted; the last completed epoch is kept in {self.checkpoint}: "
                                        "run the same command with --resume to continue") from None
            raise KeyboardInterrupt("interrupted before the first epoch ended; nothing was written") from None

    def _train(self) -> TrainResult:
        import torch

        c = self.config
        use_threads(c.threads)
        self._warmup = self.warmup_steps()
        model, net = self.model, self.net.to(self.device)
        params = [p for p in net.parameters() if p.requires_grad]
        adversarial = adversarial_parameters(model, c.adversarial)
        self._average = WeightAverage(params, c.ema) if c.ema else None
        opt_cls = torch.optim.AdamW if c.decoupled else torch.optim.Adam
        opt = opt_cls(params, lr=c.lr, weight_decay=c.weight_decay)
        use_amp = c.amp and self.device.type == "cuda"
        amp_dtype = torch.bfloat16 if use_amp and torch.cuda.is_bf16_supported() else torch.float16
        scaler = torch.amp.GradScaler("cuda", enabled=use_amp and amp_dtype == torch.float16)
        state = {"epoch": 0, "step": 0, "best_score": None, "best_epoch": 0, "bad_epochs": 0,
                 "history": [], "seconds": 0.0}
        if self.resume:  # every rank loads the checkpoint (weights and optimizer state)
            state = self._load_checkpoint(opt)
            log.info("resuming after epoch %d", state["epoch"])
        elif self.is_main:
            shutil.rmtree(self.checkpoint, ignore_errors=True)
        distributed = self.distributed
        if distributed:  # DDP runs forward_loss and averages gradients
            net = ddp(net, model.forward_loss)
        forward_loss = net if distributed else model.forward_loss
        stopped_early = False
        t_start = time.perf_counter() - state["seconds"]
        for epoch in range(state["epoch"], c.epochs):
            # per epoch, so a resumed run repeats the same randomness; per rank, so dropout differs
            set_seed(c.seed * 1000 + epoch + 100_003 * self.rank)
            net.train()
            loader = self._loader(self.train_items, self.lengths, c.batch_size, shuffle=True, epoch=epoch)
            t0 = time.perf_counter()
            loss_sum, n_items, diverged = 0.0, 0, 0
            with _progress(len(loader), f"epoch {epoch + 1}/{c.epochs}", c.progress and self.is_main) as bar:
                for batch in loader:
                    batch = to_device(batch, self.device)
                    lr = self._lr(state["step"], epoch)
                    for g in opt.param_groups:
                        g["lr"] = lr
                    if hasattr(model, "on_train_step"):  # an event for step-based schedules
                        model.on_train_step(state["step"])
                    try:
                        with torch.autocast(self.device.type, dtype=amp_dtype, enabled=use_amp):
                            loss, count = forward_loss(batch)
                        opt.zero_grad(set_to_none=True)
                        scaler.scale(loss / max(count, 1)).backward()  # DDP: gradients averaged over ranks
                        if adversarial:  # the loss once more, at the worst nearby embeddings
                            with perturbed(adversarial, c.adversarial):
                                with torch.autocast(self.device.type, dtype=amp_dtype, enabled=use_amp):
                                    adv_loss, _ = forward_loss(batch)
                                scaler.scale(adv_loss / max(count, 1)).backward()
                        if c.clip_norm:
                            scaler.unscale_(opt)
                            torch.nn.utils.clip_grad_norm_(params, c.clip_norm)
                        scaler.step(opt)
                        scaler.update()
                        if self._average:
                            self._average.update(state["step"])
                    except torch.cuda.OutOfMemoryError:
                        raise ZhnlpError(f"out of GPU memory at --batch-size {c.batch_size}; "
                                         f"try --batch-size {max(1, c.batch_size // 2)}") from None
                    state["step"] += 1
                    loss_value = float(loss.detach())
                    if not math.isfinite(loss_value):
                        diverged = diverged or state["step"]
                        if not distributed:  # under DDP every rank stops together, at the end of the epoch
                            raise self._diverged(f"the loss is {loss_value}", epoch, diverged)
                    loss_sum += loss_value
                    n_items += count
                    bar(loss_sum / max(n_items, 1), n_items / max(time.perf_counter() - t0, 1e-9))
                    if c.max_steps and state["step"] >= c.max_steps:
                        break  # every rank has as many batches, so every rank breaks here
            train_secs = time.perf_counter() - t0
            if distributed:  # the log's loss and speed are of all ranks together
                loss_sum, n_items = self._sum_over_ranks(loss_sum, n_items)
                n_items = int(n_items)
            if not math.isfinite(loss_sum):
                raise self._diverged("the loss is not finite", epoch, diverged or state["step"])
            if not all_finite(params):  # the last update made them inf or nan
                raise self._diverged("the weights are not finite", epoch, state["step"])
            stop = None
            if self.is_main:
                stop = self._end_epoch(model, opt, state, epoch, loss_sum, n_items, train_secs, t_start)
            if distributed:  # rank 0's bookkeeping and decision, so every rank stops after the same epoch
                state, stop = broadcast_object((state, stop))
            if stop:
                stopped_early = stop == "early"
                break
        self._load_best()
        return TrainResult(state["best_epoch"], state["best_score"], state["epoch"],
                           time.perf_counter() - t_start, state["history"], self.output, stopped_early,
                           self.world_size)

    def _diverged(self, what: str, epoch: int, step: int) -> ZhnlpError:
        """The error that stops a run whose loss or weights stopped being finite (the last finite checkpoint stays)."""
        kept = ((f"; the checkpoint of the last completed epoch stays in {self.checkpoint} "
                 "(--resume with a lower --lr continues from it)")
                if (self.checkpoint / "trainer.json").is_file() else "; no model was written")
        return ZhnlpError(f"training diverged: {what} at epoch {epoch + 1}, step {step} "
                          f"(--lr {self.config.lr:g}); try a lower --lr{kept}")

    def _end_epoch(self, model, opt, state: dict, epoch: int, loss_sum: float, n_items: int,
                   train_secs: float, t_start: float) -> str | None:
        """Rank 0's end of an epoch (dev scores, checkpoint, log); why training stops now (``early``, ``max_steps``)."""
        import torch

        c = self.config
        self.net.eval()
        with torch.no_grad(), (self._average.applied() if self._average else nullcontext()):
            dev = model.dev_scores(self.dev_batches()) if self.dev_items else {}
        score = dev.get(model.metric, -loss_sum / max(n_items, 1))
        better = state["best_score"] is None or (score > state["best_score"] if model.higher_is_better
                                                 else score < state["best_score"])
        row = {"epoch": epoch + 1, "train_loss": loss_sum / max(n_items, 1), "train_items": n_items,
               "train_items_per_s": n_items / max(train_secs, 1e-9), "seconds": train_secs,
               "lr": self._lr(state["step"], epoch), **{f"dev_{k}": v for k, v in dev.items()}}
        state["history"].append(row)
        if better:
            state.update(best_score=score, best_epoch=epoch + 1, bad_epochs=0)
        else:
            state["bad_epochs"] += 1
        state["epoch"] = epoch + 1
        state["seconds"] = time.perf_counter() - t_start
        self._save_checkpoint(opt, state, best=better)
        log.info("epoch %d: %s", epoch + 1, row)
        if self.on_epoch_end:
            self.on_epoch_end(row)
        if c.max_steps and state["step"] >= c.max_steps:
            return "max_steps"
        if c.patience and state["bad_epochs"] >= c.patience and epoch + 1 >= c.min_epochs:
            return "early"
        return None

    def finish(self, metrics: dict, extra_files: dict[str, str | bytes] | None = None) -> Path:
        """Write the model directory (rank 0; with the log, learning curve and ``extra_files``), drop the checkpoint."""
        metrics["world_size"] = self.world_size
        try:
            if self.is_main:
                history = metrics.get("history") or []
                extra = {**(extra_files or {}),
                         LOG_FILE: "".join(json.dumps(json_safe(r), allow_nan=False) + "\n" for r in history)}
                png = learning_curve_png(history, self.model.metric)
                if png:
                    extra[CURVE_FILE] = png
                path = self.model.save(self.output, metrics=json_safe({k: v for k, v in metrics.items()
                                                                       if k != "history"}), extra_files=extra)
                shutil.rmtree(self.checkpoint, ignore_errors=True)
                return path
            return self.output
        finally:
            self.close()

    # checkpoints (safetensors + JSON; never pickle) ------------------------------------------
    def _save_checkpoint(self, opt, state: dict, best: bool) -> None:
        import torch
        from safetensors.torch import save_file

        tmp = self.checkpoint.with_name(self.checkpoint.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        if self.checkpoint.exists():
            shutil.copytree(self.checkpoint, tmp)
        else:
            tmp.mkdir()

        def weights() -> dict:
            return {k: v.detach().cpu().contiguous() for k, v in self.net.state_dict().items()}

        save_file(weights(), str(tmp / "last.safetensors"))
        if self._average:
            save_file(self._average.tensors(), str(tmp / "average.safetensors"))
        if best:
            with self._average.applied() if self._average else nullcontext():
                save_file(weights(), str(tmp / "best.safetensors"))
        opt_tensors, opt_meta = flatten_optimizer(opt.state_dict())
        save_file(opt_tensors, str(tmp / "optimizer.safetensors"))
        meta = {"version": CHECKPOINT_VERSION, **state, "optimizer": opt_meta,
                "config": asdict(self.config), "world_size": self.world_size,
                "torch_rng": torch.get_rng_state().tolist()}
        (tmp / "trainer.json").write_text(json.dumps(json_safe(meta), allow_nan=False), encoding="utf-8")
        old = self.checkpoint.with_name(self.checkpoint.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.checkpoint.exists():
            os.replace(self.checkpoint, old)
        os.replace(tmp, self.checkpoint)
        shutil.rmtree(old, ignore_errors=True)

    def _load_checkpoint(self, opt) -> dict:
        from safetensors.torch import load_file

        meta = json.loads((self.checkpoint / "trainer.json").read_text(encoding="utf-8"))
        if meta.get("version") != CHECKPOINT_VERSION:
            raise ZhnlpError(f"{self.checkpoint}: checkpoint version {meta.get('version')!r} not supported")
        try:
            self.net.load_state_dict(load_file(str(self.checkpoint / "last.safetensors")))
        except RuntimeError as exc:
            raise ZhnlpError(f"{self.checkpoint}: the checkpoint does not fit this model "
                             f"(were the options changed?): {str(exc).splitlines()[0]}") from None
        opt.load_state_dict(unflatten_optimizer(load_file(str(self.checkpoint / "optimizer.safetensors")),
                                                 meta["optimizer"]))
        if self._average:
            saved = self.checkpoint / "average.safetensors"
            if not saved.is_file():
                raise ZhnlpError(f"{self.checkpoint}: the interrupted run kept no weight average; "
                                 "resume without --ema, as it ran")
            self._average.load(load_file(str(saved), device=str(self.device)))
        was = meta.get("world_size", 1)
        if was != self.world_size and self.is_main:
            log.warning("resuming a run of %d process(es) with %d: later epochs batch differently",
                        was, self.world_size)
        return {k: meta[k] for k in ("epoch", "step", "best_score", "best_epoch", "bad_epochs",
                                     "history", "seconds")}

    def _load_best(self) -> None:
        """The best weights: rank 0 reads them from the checkpoint and sends them to the others."""
        from safetensors.torch import load_file

        model = self.net
        best = self.checkpoint / "best.safetensors"
        if self.is_main and best.is_file():
            model.load_state_dict(load_file(str(best), device=str(self.device)))
        if self.distributed:
            import torch.distributed as dist

            for tensor in model.state_dict().values():  # views of the parameters: filled in place
                dist.broadcast(tensor, 0)


@contextmanager
def _progress(total: int, label: str, enabled: bool):
    """A rich progress bar with the running loss and items/s (a no-op when disabled)."""
    if not enabled:
        yield lambda loss, speed: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("loss {task.fields[loss]:.4f}  {task.fields[speed]:.0f}/s"),
                  TimeRemainingColumn(), transient=True) as bar:
        task = bar.add_task(label, total=total, loss=0.0, speed=0.0)
        yield lambda loss, speed: bar.update(task, advance=1, loss=loss, speed=speed)


__all__ = ["TrainConfig", "Trainer", "TrainResult", "Trainable", "resolve_device", "set_seed", "use_threads",
           "launched_world", "learning_curve_png"]
