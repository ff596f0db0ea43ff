"""The training engine shared by continued pretraining and full/LoRA fine-tuning.

    trainer = Trainer(cfg.train, model, train_dataset, collate_fn, eval_datasets={"en": ds_en}, tokenizer=tok)
    summary = trainer.train()        # resumes from the latest complete checkpoint in cfg.train.output
    trainer.export_hf(out_dir)       # collective; rank 0 writes a plain HF dir (safetensors)

A step: each rank runs `grad_accum` micro-batches (gradients reduce-scattered after each, so what accumulates stays
sharded; `train.grad_sync: last_micro_batch` syncs only the last one, at the memory cost of an unsharded fp32
gradient), the loss is the summed token loss over the whole step on all ranks divided by its number of target
tokens (label != -100, counted on the device), gradients are clipped by global norm, AdamW steps, the LR schedule
steps. The data order is a function of (seed, step) alone
(see StepSampler), so a resumed run sees exactly the batches an uninterrupted run would have seen.

Stopping: after every step all ranks agree (one all-reduce) whether to stop: max steps, train.max_train_minutes,
or SIGTERM/SIGUSR1 received by any rank (Slurm's --signal before the time limit, scancel, requeue, preemption).
The signal handler only sets a flag; the loop then leaves at the same step on every rank and saves the normal
final checkpoint (saving is collective, so it never happens inside a handler). The output folder is locked
(common/run_lock.py) for the trainer's lifetime: a second run on it fails with a message naming the holder.
"""

from __future__ import annotations

import json
import math
import random
import resource
import signal
import time
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset

from common.checkpoint import CheckpointManager, latest_checkpoint
from common.distributed import (
    DistInfo,
    all_reduce_max_host,
    all_reduce_sum,
    barrier,
    host_group,
    init_distributed,
    requested_stop,
)
from common.hf_export import export_hf, gather_full_state_dict
from common.metrics_log import MetricsLogger
from common.parallel import parallelize
from common.records import write_json
from common.run_lock import lock_for_all_ranks
from common.train_config import TrainConfig, resolve_peak_flops
from common.train_health import LossSpikeWatch, TrainingHealthError, batch_record, untrained_loss_message


class StepSampler:
    """Deterministic, resumable data order. Epoch e is a permutation of the dataset seeded by (seed, e); step s of
    the epoch takes the global batch perm[s*G:(s+1)*G] (the tail that does not fill a batch is left out of that
    epoch); rank r's micro-batch a is positions [(a*W + r)*m, (a*W + r + 1)*m) of it."""

    def __init__(self, dataset_size: int, global_batch: int, micro_batch: int, world_size: int, rank: int,
                 seed: int, shuffle: bool = True):
        if dataset_size < global_batch:
            raise ValueError(f"the training set has {dataset_size} sequences, fewer than one global batch "
                             f"({global_batch}): lower train.global_batch_size or add data")
        self.n, self.global_batch, self.micro, self.world, self.rank = (dataset_size, global_batch, micro_batch,
                                                                         world_size, rank)
        self.seed, self.shuffle = seed, shuffle
        self.steps_per_epoch = dataset_size // global_batch
        self._perm_epoch, self._perm = -1, None

    def position(self, step: int) -> dict:
        """Where step `step` (0-based: the next step to run) starts: epoch and sequences consumed in it."""
        return {"epoch": step // self.steps_per_epoch, "index": (step % self.steps_per_epoch) * self.global_batch,
                "dataset_size": self.n, "seed": self.seed, "global_batch": self.global_batch}

    def _permutation(self, epoch: int) -> torch.Tensor:
        if epoch != self._perm_epoch:
            if self.shuffle:
                gen = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
                self._perm = torch.randperm(self.n, generator=gen)
            else:
                self._perm = torch.arange(self.n)
            self._perm_epoch = epoch
        return self._perm

    def global_batch_indices(self, step: int) -> list[int]:
        """The dataset indices of step `step`'s global batch (all ranks)."""
        pos = self.position(step)
        return self._permutation(pos["epoch"])[pos["index"]:pos["index"] + self.global_batch].tolist()

    def micro_batches(self, step: int) -> list[list[int]]:
        batch = self.global_batch_indices(step)
        accum = self.global_batch // (self.micro * self.world)
        return [batch[(a * self.world + self.rank) * self.micro:(a * self.world + self.rank + 1) * self.micro]
                for a in range(accum)]


class _RankBatches:
    """batch_sampler for DataLoader: this rank's micro-batches from `start_step` to `end_step`."""

    def __init__(self, sampler: StepSampler, start_step: int, end_step: int):
        self.sampler, self.start, self.end = sampler, start_step, end_step

    def __iter__(self):
        for step in range(self.start, self.end):
            yield from self.sampler.micro_batches(step)

    def __len__(self) -> int:
        return (self.end - self.start) * (self.sampler.global_batch // (self.sampler.micro * self.sampler.world))


def lr_lambda(total_steps: int, warmup_steps: int, schedule: str, min_ratio: float):
    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        if schedule == "constant":
            return 1.0
        progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
        shape = 0.5 * (1.0 + math.cos(math.pi * progress)) if schedule == "cosine" else 1.0 - progress
        return min_ratio + (1.0 - min_ratio) * shape
    return factor


def model_flops_per_token(model: nn.Module, seq_len: int) -> float:
    """6 * (params - input embedding params) + 6 * layers * heads * head_dim * seq_len (STYLE.md, torchtitan)."""
    config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    params = sum(p.numel() for p in model.parameters())
    embed = model.get_input_embeddings().weight.numel()
    heads = config.num_attention_heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads
    return 6.0 * (params - embed) + 6.0 * config.num_hidden_layers * heads * head_dim * seq_len


def token_loss_sum(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Summed next-token cross-entropy in fp32 over positions whose label is not -100."""
    return F.cross_entropy(logits[:, :-1].flatten(0, 1).float(), labels[:, 1:].flatten(), ignore_index=-100,
                           reduction="sum")


def next_token_targets(labels: torch.Tensor) -> torch.Tensor:
    """(B, T) labels -> (B*T,) targets aligned with logits.flatten(0, 1): position t predicts labels[t + 1]; the
    last position of each row gets -100. Shifting the labels instead of slicing logits[:, :-1] keeps the logits a
    view (the slice would copy B x T x vocab)."""
    return F.pad(labels[:, 1:], (0, 1), value=-100).flatten()


def _fused_token_loss_sum(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """token_loss_sum written for torch.compile: inductor fuses the fp32 upcast into the log-softmax reduction
    and recomputes it in backward, so no fp32 copy of the logits is ever stored."""
    return F.cross_entropy(logits.flatten(0, 1).float(), next_token_targets(labels), ignore_index=-100,
                           reduction="sum")


class _ChunkedCrossEntropySum(torch.autograd.Function):
    """Summed cross-entropy of (N, V) logits (any float dtype) computed in fp32 one chunk of rows at a time. Saves
    only the logits and one fp32 log-sum-exp per row; backward recomputes softmax - onehot per chunk and writes
    the gradient in the logits' dtype (as autograd through `.float()` would)."""

    @staticmethod
    def forward(ctx, logits: torch.Tensor, targets: torch.Tensor, chunk: int) -> torch.Tensor:
        total = torch.zeros((), dtype=torch.float32, device=logits.device)
        lse = torch.empty(logits.shape[0], dtype=torch.float32, device=logits.device)
        for start in range(0, logits.shape[0], chunk):
            x = logits[start:start + chunk].float()
            t = targets[start:start + chunk]
            lse[start:start + chunk] = torch.logsumexp(x, dim=-1)
            picked = x.gather(1, t.clamp(min=0).unsqueeze(1)).squeeze(1)
            total += torch.where(t != -100, lse[start:start + chunk] - picked, 0.0).sum()
        ctx.save_for_backward(logits, targets, lse)
        ctx.chunk = chunk
        return total

    @staticmethod
    def backward(ctx, grad_total: torch.Tensor):
        logits, targets, lse = ctx.saved_tensors
        grad = torch.empty_like(logits)
        for start in range(0, logits.shape[0], ctx.chunk):
            t = targets[start:start + ctx.chunk]
            probs = (logits[start:start + ctx.chunk].float() - lse[start:start + ctx.chunk, None]).exp_()
            probs.scatter_add_(1, t.clamp(min=0).unsqueeze(1), torch.full_like(probs[:, :1], -1.0))
            row_scale = torch.where(t != -100, grad_total.float(), 0.0)
            grad[start:start + ctx.chunk] = probs.mul_(row_scale.unsqueeze(1))
        return grad, None, None


def chunked_token_loss_sum(logits: torch.Tensor, labels: torch.Tensor, chunk_size: int = 1024) -> torch.Tensor:
    """token_loss_sum with the fp32 upcast done `chunk_size` positions at a time (the peak extra memory is one
    chunk x vocab in fp32 instead of the whole micro-batch)."""
    return _ChunkedCrossEntropySum.apply(logits.flatten(0, 1), next_token_targets(labels), chunk_size)


def build_loss_fn(cfg: TrainConfig):
    """The (logits, labels) -> summed token loss function that train.loss_impl selects."""
    if cfg.loss_impl == "chunked":
        return lambda logits, labels: chunked_token_loss_sum(logits, labels, cfg.loss_chunk_size)
    if cfg.loss_impl == "compiled":
        return torch.compile(_fused_token_loss_sum, backend=cfg.compile_backend)
    return token_loss_sum


def peak_memory_gb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 1e9
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # Linux: KiB; the process's peak RSS


STOP_SIGNALS = (signal.SIGTERM, signal.SIGUSR1)
EXPORT_DONE = "export_done.json"  # written last into an export dir: the step and dtype it holds


class Trainer:
    def __init__(self, cfg: TrainConfig, model: nn.Module, train_dataset: Dataset, collate_fn,
                 eval_datasets: dict[str, Dataset] | None = None, tokenizer=None, sampler_factory=None):
        """`sampler_factory(world_size, rank)`: the data order (default StepSampler over train_dataset; e.g. a
        common.mixture.MixtureSampler)."""
        cfg.validate()
        self.cfg, self.tokenizer, self.collate_fn = cfg, tokenizer, collate_fn
        self.train_dataset, self.eval_datasets = train_dataset, eval_datasets or {}
        self.dist: DistInfo = init_distributed(cfg.backend, cfg.device)
        self.device = self.dist.device
        self.output_dir = Path(cfg.output)
        self._lock = lock_for_all_ranks(self.output_dir, self.device)
        self._stop_signal: int | None = None
        self.grad_accum = cfg.grad_accum_steps(self.dist.world_size)
        if sampler_factory is None:
            self.sampler = StepSampler(len(train_dataset), cfg.global_batch_size, cfg.micro_batch_size,
                                       self.dist.world_size, self.dist.rank, cfg.seed)
        else:
            self.sampler = sampler_factory(self.dist.world_size, self.dist.rank)
        self.total_steps = cfg.max_steps if cfg.max_steps > 0 else max(1, int(cfg.epochs * self.sampler.steps_per_epoch))
        self._seed_everything(cfg.seed + self.dist.rank)

        # module: the HF model as built (config, embeddings, save_pretrained); model: what the step loop calls, the
        # same object sharded in place under FSDP2, a DistributedDataParallel wrapper around it under DDP
        self.module = model
        self.peak_flops = resolve_peak_flops(cfg.device_peak_flops, self.device.type,
                                             torch.cuda.get_device_name(self.device) if self.device.type == "cuda" else "")
        self.model = parallelize(model, cfg, self.device)
        self.loss_fn = build_loss_fn(cfg)
        self.optimizer = self._build_optimizer()
        warmup = math.ceil(cfg.warmup_ratio * self.total_steps)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lr_lambda(self.total_steps, warmup, cfg.lr_schedule, cfg.min_lr_ratio))
        self.checkpoints = CheckpointManager(self.output_dir / "checkpoints", cfg.keep_last)
        self.step, self.tokens_seen, self._pending_inputs = 0, 0, 0
        # the first step whose loss or gradient norm was not finite (-1: none), kept on the device
        self._nonfinite_step = torch.full((), -1, dtype=torch.int64, device=self.device)
        self.spikes = LossSpikeWatch(cfg.loss_spike_ratio)
        self.loss_spikes = 0
        self.last_loss, self.final_eval = None, {}
        self.resumed_from = self._maybe_resume()
        self.metrics = MetricsLogger(self.output_dir, self.dist.is_main, self.step, cfg.tensorboard)

    # ------------------------------------------------------------------------------------------- setup

    @staticmethod
    def _seed_everything(seed: int) -> None:
        random.seed(seed)
        torch.manual_seed(seed)

    def _build_optimizer(self) -> torch.optim.Optimizer:
        # no decay on norms and biases (1-D tensors), as HF Trainer, which the paper's runs used
        decay, no_decay = [], []
        for p in self.model.parameters():
            if p.requires_grad:
                (decay if p.ndim >= 2 else no_decay).append(p)
        if not decay and not no_decay:
            raise ValueError("the model has no trainable parameters")
        groups = [{"params": decay, "weight_decay": self.cfg.weight_decay},
                  {"params": no_decay, "weight_decay": 0.0}]
        return torch.optim.AdamW([g for g in groups if g["params"]], lr=self.cfg.lr,
                                 betas=(self.cfg.adam_beta1, self.cfg.adam_beta2), eps=self.cfg.adam_eps)

    def _maybe_resume(self) -> Path | None:
        spec = self.cfg.resume
        if spec == "none":
            return None
        path = latest_checkpoint(self.checkpoints.root) if spec == "auto" else Path(spec)
        if path is None:
            return None
        state = self.checkpoints.load(path, self.model, self.optimizer)
        saved = state["sampler"]
        if saved["dataset_size"] != self.sampler.n:
            raise ValueError(f"{path}: the checkpoint was trained on {saved['dataset_size']} sequences, the "
                             f"training set now has {self.sampler.n}; its data position does not apply "
                             "(use a new output folder or train.resume=none)")
        for key, now in (("global_batch", self.sampler.global_batch), ("seed", self.sampler.seed)):
            if saved.get(key, now) != now:  # the step -> data position map would silently change
                raise ValueError(f"{path}: the checkpoint was trained with {key} {saved[key]}, the config now "
                                 f"says {now}; its data position does not apply (use the same value, a new "
                                 "output folder or train.resume=none)")
        self.step, self.tokens_seen = state["step"], state["tokens_seen"]
        self.last_loss, self.final_eval = state.get("last_loss"), state.get("final_eval", {})
        self.scheduler.load_state_dict(state["scheduler"])
        if state.get("rng_restored") is False:  # other world size: fresh but deterministic per-rank RNG
            self._seed_everything(self.cfg.seed + self.dist.rank + 1_000_003 * self.step)
        if self.dist.is_main:
            print(f"resumed from {path} at step {self.step} (epoch {saved['epoch']}, sequence {saved['index']})",
                  flush=True)
        return path

    # ------------------------------------------------------------------------------------------- steps

    def _to_device(self, batch: dict) -> dict:
        return {k: v.to(self.device, non_blocking=True) if torch.is_tensor(v) else v for k, v in batch.items()}

    def _forward_loss_sum(self, batch: dict) -> torch.Tensor:
        kwargs = {"input_ids": batch["input_ids"], "use_cache": False}
        for optional in ("attention_mask", "position_ids"):  # position_ids: document-masked packing
            if optional in batch:
                kwargs[optional] = batch[optional]
        logits = self.model(**kwargs).logits
        return self.loss_fn(logits, batch["labels"])

    def _set_grad_sync(self, enabled: bool) -> None:
        if hasattr(self.model, "set_requires_gradient_sync"):  # FSDP2: skip reduce-scatter until the last micro
            self.model.set_requires_gradient_sync(enabled)
        elif hasattr(self.model, "require_backward_grad_sync"):  # DDP
            self.model.require_backward_grad_sync = enabled

    def _global_token_counts(self, batches: list[dict]) -> torch.Tensor:
        """[target tokens, input tokens] of this step summed over all ranks: an int64 tensor on the device. Never
        read on the host here: a .item() per step would make the CPU wait for the GPU (torchtitan keeps its global
        token count on the device for the same reason); logging and checkpoints read it."""
        targets = torch.stack([(b["labels"][:, 1:] != -100).sum() for b in batches]).sum()
        inputs = torch.full((), sum(b["input_ids"].numel() for b in batches), dtype=torch.int64, device=self.device)
        counts = torch.stack([targets.to(torch.int64), inputs])
        if self.dist.world_size > 1:
            dist.all_reduce(counts)
        return counts

    def train_step(self, micro_batches: list[dict]) -> dict:
        """One optimizer step over this rank's micro-batches. Returns device tensors (local loss sum, global target
        and input counts, gradient norm); the caller reads them on the host only when it logs."""
        self.model.train()
        batches = [self._to_device(b) for b in micro_batches]
        counts = self._global_token_counts(batches)
        # gradients are averaged over ranks by FSDP/DDP: scale by world size so the result is sum / global tokens
        scale = (self.dist.world_size / counts[0].clamp(min=1).double()).float()
        loss_sum = torch.zeros((), dtype=torch.float64, device=self.device)
        sync_every = self.cfg.grad_sync == "every_micro_batch"
        for i, batch in enumerate(batches):
            # every_micro_batch: FSDP reduce-scatters each micro-batch, so what accumulates is the sharded gradient
            self._set_grad_sync(sync_every or i == len(batches) - 1)
            micro_loss = self._forward_loss_sum(batch)
            (micro_loss * scale).backward()
            loss_sum += micro_loss.detach().double()
        grad_norm = self._clip_gradients()
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        self._pending_inputs = self._pending_inputs + counts[1]
        # grad_norm is global (all ranks' gradients): every rank marks the same step
        bad = ~torch.isfinite(grad_norm)
        self._nonfinite_step = torch.where(bad & (self._nonfinite_step < 0), self.step + 1, self._nonfinite_step)
        return {"loss_sum": loss_sum, "targets": counts[0], "inputs": counts[1], "grad_norm": grad_norm}

    def _clip_gradients(self) -> torch.Tensor:
        """Clip by global norm; returns the norm before clipping as a device tensor (no host sync)."""
        params = [p for p in self.model.parameters() if p.requires_grad and p.grad is not None]
        max_norm = self.cfg.max_grad_norm if self.cfg.max_grad_norm > 0 else float("inf")
        norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
        if hasattr(norm, "full_tensor"):  # DTensor under FSDP2
            norm = norm.full_tensor()
        return norm

    def _global_loss(self, stats: dict) -> float:
        """The step's loss over all ranks (collective; reads it on the host)."""
        loss_sum = stats["loss_sum"].clone()
        if self.dist.world_size > 1:
            dist.all_reduce(loss_sum)
        return float(loss_sum / stats["targets"].clamp(min=1).double())

    def _batch_file(self, step: int, why: str) -> str:
        """The dataset indices of step `step`'s global batch, written beside the run (rank 0); its path."""
        position = self.sampler.position(step - 1)
        sequences = self.sampler.global_batch_indices(step - 1)
        path = self.output_dir / f"bad_batch_step_{step:08d}.json"
        if self.dist.is_main:
            path = batch_record(self.output_dir, step, position, sequences, why)
        return f"epoch {position['epoch']}, sequences {sequences[:8]}{' ...' if len(sequences) > 8 else ''} (all in {path})"

    def _check_finite(self) -> None:
        """Stop (collectively: the flag is the same on every rank) when a step's loss or gradient norm was not
        finite; called before each log row and checkpoint, so no non-finite weights are ever saved."""
        step = int(self._nonfinite_step)
        if step >= 0:
            raise TrainingHealthError(
                f"step {step}: the gradient norm is not finite (loss or gradients overflowed); its batch: "
                f"{self._batch_file(step, 'not finite')}. Resume from the last checkpoint before it with a lower "
                "train.lr or without those sequences")

    def _check_first_loss(self, stats: dict) -> None:
        if self.cfg.first_loss_max_ratio <= 0:
            return
        vocab = self.module.get_output_embeddings().weight.shape[0]
        problem = untrained_loss_message(self._global_loss(stats), vocab, self.cfg.first_loss_max_ratio)
        if problem:
            raise TrainingHealthError(problem)

    def _watch_spikes(self, row: dict) -> None:
        median = self.spikes.check(row["loss"])
        if median is not None:
            self.loss_spikes += 1
            row["loss_spike"] = True
            where = self._batch_file(self.step, f"loss spike: {row['loss']:.4f}, median {median:.4f}")
            if self.dist.is_main:
                print(f"step {self.step}: loss spike, {row['loss']:.4f} is {row['loss'] / median:.1f}x the median "
                      f"of the last logged losses ({median:.4f}); its batch: {where}", flush=True)

    def _flush_tokens_seen(self) -> int:
        """Add the input tokens of the steps since the last call to tokens_seen (one host read)."""
        if isinstance(self._pending_inputs, torch.Tensor):
            self.tokens_seen += int(self._pending_inputs)
            self._pending_inputs = 0
        return self.tokens_seen

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        """Validation loss per named set: token-weighted over the whole set, split across ranks. Every rank runs
        the same number of forward passes (FSDP needs it); a rank out of data runs a fully masked batch."""
        self.model.eval()
        out = {}
        m, world, rank = self.cfg.micro_batch_size, self.dist.world_size, self.dist.rank
        for name, ds in self.eval_datasets.items():
            n_batches = math.ceil(len(ds) / (m * world))
            if self.cfg.eval_max_batches > 0:
                n_batches = min(n_batches, self.cfg.eval_max_batches)
            loss, targets = 0.0, 0
            for b in range(n_batches):
                idx = [i for i in range((b * world + rank) * m, (b * world + rank + 1) * m) if i < len(ds)]
                batch = self._to_device(self.collate_fn([ds[i] for i in (idx or [0])]))
                if not idx:
                    batch["labels"] = torch.full_like(batch["labels"], -100)
                loss += float(self._forward_loss_sum(batch))
                targets += int((batch["labels"][:, 1:] != -100).sum())
            total_loss, total_targets = all_reduce_sum([loss, targets], self.device)
            out[f"val_loss_{name}"] = total_loss / max(total_targets, 1.0)
        self.model.train()
        return out

    # ------------------------------------------------------------------------------------------- loop

    def _loader(self) -> DataLoader:
        return DataLoader(self.train_dataset, batch_sampler=_RankBatches(self.sampler, self.step, self.total_steps),
                          collate_fn=self.collate_fn, num_workers=self.cfg.num_workers,
                          pin_memory=self.device.type == "cuda")

    def save_checkpoint(self) -> Path:
        self._check_finite()
        self._flush_tokens_seen()
        state = {"sampler": self.sampler.position(self.step), "scheduler": self.scheduler.state_dict(),
                 "tokens_seen": self.tokens_seen, "last_loss": self.last_loss, "final_eval": self.final_eval}
        return self.checkpoints.save(self.step, self.model, self.optimizer, state)

    def _start_window(self) -> None:
        """Throughput is measured from here to the next metrics row: training steps only, no evaluation."""
        self._window_inputs = torch.zeros((), dtype=torch.int64, device=self.device)
        self._window_start = time.perf_counter()

    def _train_row(self, stats: dict, seq_len: int) -> dict:
        """The metrics row of this step: the only place a training step's tensors are read on the host."""
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        self._check_finite()
        loss_sum = stats["loss_sum"].clone()
        if self.dist.world_size > 1:
            dist.all_reduce(loss_sum)
        loss_sum, targets, grad_norm, inputs = torch.stack(
            [loss_sum, stats["targets"].double(), stats["grad_norm"].double(), self._window_inputs.double()]).tolist()
        tps = inputs / max(time.perf_counter() - self._window_start, 1e-9)
        tps_dev = tps / self.dist.world_size
        mfu = None
        if self.peak_flops:
            mfu = 100.0 * model_flops_per_token(self.module, seq_len) * tps_dev / self.peak_flops
        row = {"step": self.step, "loss": loss_sum / max(targets, 1.0), "lr": self.scheduler.get_last_lr()[0],
               "grad_norm": grad_norm, "tokens_per_s": tps, "tokens_per_s_per_device": tps_dev,
               "mfu": mfu, "peak_mem_gb": peak_memory_gb(self.device), "tokens_seen": self._flush_tokens_seen()}
        self._watch_spikes(row)
        self.last_loss = row["loss"]
        return row

    def _record_step(self, stats: dict, seq_len: int) -> dict | None:
        """The bookkeeping after a step, collective: a training row every log_every steps, an evaluation every
        eval_every steps, both at the last step; an evaluation goes into the step's row, or a row of its own. Returns
        the row logged, if any."""
        final = self.step == self.total_steps
        row = self._train_row(stats, seq_len) if final or self.step % self.cfg.log_every == 0 else None
        if self.eval_datasets and (final or (self.cfg.eval_every > 0 and self.step % self.cfg.eval_every == 0)):
            evaluation = self.evaluate()
            if final:  # before the final save, so a rerun of the finished run finds it in the checkpoint
                self.final_eval = evaluation
            row = {**(row or {"step": self.step}), **evaluation}
        if row is not None:
            self.metrics.log(row)
            self._start_window()
        return row

    def _on_stop_signal(self, signum, frame) -> None:
        self._stop_signal = signum  # only a flag: the loop saves at the next step boundary, on every rank

    def should_stop(self, started: float) -> str | None:
        """Collective, once per step: the reason every rank stops now (the same on all), or None. A signal to any
        rank or a stop file (common.distributed.requested_stop: how scripts/slurm/lib.sh reaches workers no signal
        reaches) stops all. Agreed on the host (a CPU tensor over a gloo group): no wait for the GPU per step."""
        over_time = self.cfg.max_train_minutes > 0 and (time.time() - started) / 60 >= self.cfg.max_train_minutes
        signum = self._stop_signal or requested_stop()
        over, signum = all_reduce_max_host([float(over_time), float(signum)])
        if signum:
            return f"signal {signal.Signals(int(signum)).name}"
        return "max_train_minutes" if over else None

    def _summary(self, start_step: int, started: float, stopped: str | None) -> dict:
        self._flush_tokens_seen()
        return {"steps": self.step, "total_steps": self.total_steps, "steps_this_run": self.step - start_step,
                "final_loss": self.last_loss, "tokens_seen": self.tokens_seen, "seconds": time.time() - started,
                "finished": self.step >= self.total_steps, "stopped": stopped,
                "resumed_from": str(self.resumed_from) if self.resumed_from else None,
                "loss_spikes": self.loss_spikes, **self.final_eval}

    def train(self) -> dict:
        """Run to total_steps (or a stop condition). Collective. Returns a summary. A run resumed from its final
        checkpoint does nothing and returns the same summary (its metrics are not logged twice)."""
        started = time.time()
        if self.step >= self.total_steps:
            return self._summary(self.step, started, None)
        previous = {sig: signal.signal(sig, self._on_stop_signal) for sig in STOP_SIGNALS}
        host_group()  # collective when it makes a group: here, where every rank is, not in the first should_stop
        try:
            return self._train_loop(started)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _train_loop(self, started: float) -> dict:
        from common.progress import progress_bar

        start_step, stopped = self.step, None
        # a tqdm bar on a terminal; in a Slurm log one plain line every 30 s (MMED_PROGRESS_EVERY)
        bar = progress_bar(total=self.total_steps, initial=self.step, disable=not self.dist.is_main, desc="train",
                           unit="step", dynamic_ncols=True)
        batches = iter(self._loader())
        self._start_window()
        last_saved = self.step if self.resumed_from else None
        while self.step < self.total_steps:
            micro = [next(batches) for _ in range(self.grad_accum)]
            stats = self.train_step(micro)
            self.step += 1
            self._window_inputs += stats["inputs"]
            bar.update(1)
            if self.step == 1:
                self._check_first_loss(stats)
            row = self._record_step(stats, micro[0]["input_ids"].shape[1])
            if row is not None and "loss" in row:
                bar.set_postfix(loss=f"{row['loss']:.4f}", lr=f"{row['lr']:.2e}")
            if self.cfg.checkpoint_every > 0 and self.step % self.cfg.checkpoint_every == 0:
                self.save_checkpoint()
                last_saved = self.step
            stopped = self.should_stop(started)
            if stopped:
                if self.dist.is_main:
                    print(f"stopping at step {self.step} ({stopped}): saving a checkpoint", flush=True)
                break
        bar.close()
        if last_saved != self.step and self.cfg.checkpoint_every >= 0:
            self.save_checkpoint()
        return self._summary(start_step, started, stopped)

    # ------------------------------------------------------------------------------------------- export

    def full_state_dict(self) -> dict | None:
        """Collective: the unsharded CPU state dict on rank 0 (None on other ranks)."""
        return gather_full_state_dict(self.model)

    def export_hf(self, out_dir: str | Path, tokenizer=None, dtype: str = "auto") -> Path:
        """Collective: rank 0 writes a HF model dir (safetensors shards, config, tokenizer), then EXPORT_DONE
        naming the step and dtype. A dir whose EXPORT_DONE names this step and dtype is complete already: a
        resubmitted finished run does not gather and write the model again."""
        out = Path(out_dir)
        marker = {"step": self.step, "dtype": dtype}
        done = out / EXPORT_DONE
        if done.is_file() and json.loads(done.read_text(encoding="utf-8")) == marker:
            return out
        if self.dist.is_main:
            done.unlink(missing_ok=True)  # an export cut short must not look complete
        export_hf(self.model, self.module, out, tokenizer or self.tokenizer, dtype=dtype)
        if self.dist.is_main:
            write_json(done, marker)
        barrier()
        return out

    def close(self) -> None:
        self.metrics.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None
