"""The `train:` section shared by pretraining and full/LoRA fine-tuning (the engine in common/trainer.py reads it).

Batch arithmetic: a step consumes `global_batch_size` sequences; each rank runs
`grad_accum = global_batch_size / (micro_batch_size * world_size)` micro-batches per step (an error when it does
not divide). The loss of a step is the summed token loss over all its micro-batches and ranks divided by the
number of target tokens (label != -100) in the whole step, so it does not depend on how the batch is split.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from common.config import bad

# Dense BF16 tensor-core peaks (FLOP/s) from the vendors' data sheets, for MFU. Anything else must be a number.
PEAK_BF16_FLOPS = {
    "a100": 312e12,
    "h100": 989e12,   # SXM; the PCIe card is 756e12: give the number
    "h200": 989e12,
    "h800": 989e12,
    "a800": 312e12,
    "l40s": 362e12,
    "a10g": 70e12,
}


@dataclass
class TrainConfig:
    output: str = field(default="outputs/train", metadata={
        "help": "run folder: checkpoints/, metrics.jsonl, tensorboard/, the final HF model"})
    seed: int = field(default=42, metadata={"help": "seed of the data order and of every rank's RNG"})
    lr: float = field(default=2e-5, metadata={"help": "peak learning rate (paper: 2e-5 Llama 3/InternLM, 8e-6 BLOOM)"})
    weight_decay: float = field(default=0.01, metadata={"help": "AdamW weight decay"})
    adam_beta1: float = field(default=0.9, metadata={"help": "AdamW beta1"})
    adam_beta2: float = field(default=0.95, metadata={"help": "AdamW beta2"})
    adam_eps: float = field(default=1e-8, metadata={"help": "AdamW epsilon"})
    warmup_ratio: float = field(default=0.01, metadata={"help": "share of the steps with linear warmup"})
    lr_schedule: Literal["cosine", "linear", "constant"] = field(default="cosine", metadata={
        "help": "the learning rate after warmup"})
    min_lr_ratio: float = field(default=0.0, metadata={"help": "final lr as a share of the peak (cosine/linear)"})
    max_grad_norm: float = field(default=1.0, metadata={"help": "gradient clipping by global norm (0 = off)"})
    global_batch_size: int = field(default=512, metadata={"help": "sequences per optimizer step (all ranks)"})
    micro_batch_size: int = field(default=1, metadata={"help": "sequences per forward pass per rank"})
    max_steps: int = field(default=-1, metadata={"help": "optimizer steps; > 0 wins over epochs"})
    epochs: float = field(default=1.0, metadata={"help": "passes over the training set (fractions allowed)"})
    mixed_precision: Literal["bf16", "fp32"] = field(default="bf16", metadata={
        "help": "compute/param dtype of FSDP's MixedPrecisionPolicy (master weights, optimizer "
                "state and gradient reduction stay fp32)"})
    parallelism: Literal["fsdp", "ddp", "none"] = field(default="fsdp", metadata={"help": "fsdp: FSDP2 fully_shard"})
    fsdp_layer_cls: list[str] = field(default_factory=list, metadata={
        "help": "class names of the decoder layers to shard and checkpoint (default: model._no_split_modules)"})
    grad_sync: Literal["every_micro_batch", "last_micro_batch"] = field(default="every_micro_batch", metadata={
        "help": "every_micro_batch: FSDP reduce-scatters (DDP all-reduces) each micro-batch's gradients, so "
                "accumulated gradients stay sharded (fp32, 4 B/param / world size) | last_micro_batch: sync only "
                "on the last micro-batch of a step (less communication; FSDP then accumulates an unsharded fp32 "
                "gradient of the whole model on every GPU, 4 B/param: pretrain.plan counts it)"})
    activation_checkpointing: bool = field(default=True, metadata={"help": "recompute each decoder layer in backward"})
    cpu_offload: bool = field(default=False, metadata={"help": "FSDP CPU offload of params, grads, optimizer state"})
    reshard_after_forward: bool = field(default=True, metadata={
        "help": "free gathered layer weights after forward (ZeRO-3); false = ZeRO-2-like, faster, more memory"})
    compile: bool = field(default=False, metadata={
        "help": "torch.compile each decoder layer in place (parameter names, checkpoints, exports and PEFT "
                "adapters are unchanged); fuses the elementwise ops around the matmuls. Off = exact eager numerics"})
    compile_backend: Literal["inductor", "aot_eager"] = field(default="inductor", metadata={
        "help": "torch.compile backend for train.compile and loss_impl=compiled: inductor (fused kernels) | "
                "aot_eager (no code generation: tests, debugging)"})
    loss_impl: Literal["eager", "chunked", "compiled"] = field(default="eager", metadata={
        "help": "eager: fp32 cross-entropy over all logits of the micro-batch at once (B x T x vocab fp32 copy) | "
                "chunked: fp32 upcast per chunk of loss_chunk_size positions, recomputed in backward (saves "
                "memory) | compiled: the loss under torch.compile (fused upcast + log-softmax, no fp32 copy). "
                "Same loss and gradients up to rounding"})
    loss_chunk_size: int = field(default=1024, metadata={"help": "positions per chunk of loss_impl=chunked"})
    checkpoint_every: int = field(default=500, metadata={"help": "save a checkpoint every N steps (0 = only at the end, -1 = never: benchmarks)"})
    keep_last: int = field(default=3, metadata={"help": "complete checkpoints to keep (older ones are deleted)"})
    resume: str = field(default="auto", metadata={
        "help": "auto (latest complete checkpoint in output, if any) | none | path of a step_XXXXXXXX dir"})
    log_every: int = field(default=1, metadata={"help": "log metrics every N steps"})
    eval_every: int = field(default=0, metadata={"help": "validation loss every N steps (0 = only at the end)"})
    eval_max_batches: int = field(default=0, metadata={"help": "cap on validation micro-batches per rank (0 = all)"})
    device_peak_flops: str = field(default="auto", metadata={
        "help": "peak BF16 FLOP/s of one device for MFU: a number, a name (a100 h100 h200 h800 a800 l40s a10g), "
                "auto (CUDA device name; an unknown GPU is an error) or none (no MFU; auto on CPU)"})
    num_workers: int = field(default=0, metadata={"help": "DataLoader worker processes per rank"})
    tensorboard: bool = field(default=True, metadata={"help": "also write TensorBoard events (rank 0)"})
    backend: Literal["auto", "nccl", "gloo"] = field(default="auto", metadata={"help": "auto: nccl on CUDA, gloo on CPU"})
    device: Literal["auto", "cuda", "cpu"] = field(default="auto", metadata={"help": "auto: cuda if available"})
    first_loss_max_ratio: float = field(default=0.0, metadata={
        "help": "stop after the first step of a fresh run when its loss is above this share of ln(vocab size), "
                "the loss of an untrained model: the weights were not loaded (0 = off; the GPU recipes use 0.75)"})
    loss_spike_ratio: float = field(default=3.0, metadata={
        "help": "report a logged loss above this multiple of the median of the last 20 logged losses, with its "
                "step and batch (0 = off). A loss or gradient norm that is not finite always stops the run"})
    max_train_minutes: float = field(default=0.0, metadata={
        "help": "save a checkpoint and stop after this many minutes (0 = off), e.g. before a Slurm time limit"})

    def validate(self) -> None:
        """Settings that cannot work, before any GPU work starts (load_config runs it; the trainer again)."""
        if self.lr <= 0:
            bad("lr", f"must be > 0, got {self.lr}")
        for name in ("global_batch_size", "micro_batch_size", "loss_chunk_size"):
            if getattr(self, name) < 1:
                bad(name, f"must be at least 1, got {getattr(self, name)}")
        if self.global_batch_size % self.micro_batch_size:
            bad("micro_batch_size", f"{self.micro_batch_size} does not divide global_batch_size "
                f"{self.global_batch_size}")
        for name in ("first_loss_max_ratio", "loss_spike_ratio", "max_grad_norm", "max_train_minutes"):
            if getattr(self, name) < 0:
                bad(name, f"must be 0 (off) or positive, got {getattr(self, name)}")
        if self.max_steps <= 0 and self.epochs <= 0:
            bad("max_steps", "set max_steps > 0 or epochs > 0")
        if not 0 <= self.warmup_ratio < 1:
            bad("warmup_ratio", f"must be in [0, 1), got {self.warmup_ratio}")
        if not 0 <= self.min_lr_ratio <= 1:
            bad("min_lr_ratio", f"must be in [0, 1], got {self.min_lr_ratio}")

    def grad_accum_steps(self, world_size: int) -> int:
        if self.parallelism == "none" and world_size > 1:
            raise ValueError(f"train.parallelism none runs {world_size} unsynchronised copies of the model: "
                             "use fsdp or ddp under torchrun")
        per_pass = self.micro_batch_size * world_size
        if self.global_batch_size % per_pass:
            raise ValueError(f"train.global_batch_size {self.global_batch_size} is not divisible by "
                             f"micro_batch_size {self.micro_batch_size} x world size {world_size} = {per_pass}")
        return self.global_batch_size // per_pass


def resolve_peak_flops(spec: str | float, device_type: str, device_name: str = "") -> float | None:
    """Peak BF16 FLOP/s of one device, or None when MFU is not reported. Never guesses an unknown GPU."""
    text = str(spec).strip().lower()
    if text == "none":
        return None
    if text != "auto":
        if text in PEAK_BF16_FLOPS:
            return PEAK_BF16_FLOPS[text]
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"train.device_peak_flops: {spec!r} is neither a number nor one of "
                             f"{', '.join(PEAK_BF16_FLOPS)} / auto / none") from None
        if value <= 0:
            raise ValueError("train.device_peak_flops must be positive")
        return value
    if device_type != "cuda":
        return None
    name = device_name.lower()
    for key, value in PEAK_BF16_FLOPS.items():
        if key in name:
            if key == "h100" and "pcie" in name:
                return 756e12
            return value
    raise ValueError(f"train.device_peak_flops=auto: unknown device {device_name!r}; give its peak BF16 FLOP/s "
                     "as a number (MFU is never computed against a guessed peak)")
