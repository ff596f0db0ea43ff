"""What a training run costs before it is queued: per-GPU memory and FLOPs of a Llama-like decoder trained with
our engine (common/trainer.py: FSDP2 fully_shard per decoder layer and root, fp32 master weights and AdamW
states, a MixedPrecisionPolicy compute dtype, optional activation checkpointing and CPU offload).

Memory is counted tensor by tensor, as torch's FSDPMemTracker categorises it: sharded parameters, gradients and
optimizer states; the gathered (unsharded) parameters and gradients of the layers in flight; the activations
autograd saves for backward (per decoder layer, counted from the ops of transformers' Llama layer: RMSNorm keeps
an fp32 copy of its input, SDPA keeps q, k, v, the output and one log-sum-exp per head, the SwiGLU MLP keeps gate,
up, silu(gate) and their product); the logits and the loss temporaries. What it cannot know: allocator
fragmentation and caching (the CUDA caching allocator reserves more than is allocated), NCCL's own buffers and
CUDA context (~1-3 GB per GPU), torch.compile's workspace and fused kernels (which save less), attention kernels
that materialise the T x T scores (eager attention, or SDPA's math path with a padding mask), and the speed of a
real cluster: tokens/s is FLOPs divided by peak times an MFU you supply.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelShape:
    """The numbers of a Llama-like decoder that memory and FLOPs depend on."""

    vocab_size: int
    hidden_size: int
    intermediate_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    head_dim: int = 0  # 0 = hidden_size / num_heads
    tie_embeddings: bool = False
    rope_theta: float = 500000.0
    max_position_embeddings: int = 8192

    @property
    def dim(self) -> int:
        return self.head_dim or self.hidden_size // self.num_heads

    @property
    def kv_size(self) -> int:
        return self.num_kv_heads * self.dim

    @property
    def layer_params(self) -> int:
        h, attn = self.hidden_size, self.num_heads * self.dim
        return h * attn * 2 + h * self.kv_size * 2 + 3 * h * self.intermediate_size + 2 * h

    @property
    def embedding_params(self) -> int:
        return self.vocab_size * self.hidden_size

    @property
    def root_params(self) -> int:
        """Parameters outside the decoder layers: embeddings, final norm, head (unless tied)."""
        head = 0 if self.tie_embeddings else self.embedding_params
        return self.embedding_params + self.hidden_size + head

    @property
    def params(self) -> int:
        return self.num_layers * self.layer_params + self.root_params

    def flops_per_token(self, seq_len: int) -> float:
        """6 * (params - input embedding params) + 6 * layers * heads * head_dim * seq_len (STYLE.md): the model
        FLOPs of MFU; activation recomputation is not counted, as in torchtitan."""
        return 6.0 * (self.params - self.embedding_params) + 6.0 * self.num_layers * self.num_heads * self.dim * seq_len

    def hf_config_kwargs(self) -> dict:
        """LlamaConfig arguments of this shape (tests build random models of it)."""
        return dict(vocab_size=self.vocab_size, hidden_size=self.hidden_size,
                    intermediate_size=self.intermediate_size, num_hidden_layers=self.num_layers,
                    num_attention_heads=self.num_heads, num_key_value_heads=self.num_kv_heads,
                    head_dim=self.dim, tie_word_embeddings=self.tie_embeddings,
                    max_position_embeddings=self.max_position_embeddings,
                    rope_parameters={"rope_type": "default", "rope_theta": self.rope_theta})

    @classmethod
    def from_hf_config(cls, config: dict) -> ModelShape:
        """From a HF config.json (Llama, Mistral, Qwen2, InternLM2 key names)."""
        def get(*names: str, default=None):
            for name in names:
                if config.get(name) is not None:
                    return config[name]
            if default is None:
                raise KeyError(f"config.json has none of {names}")
            return default

        rope = config.get("rope_parameters") or {}
        return cls(vocab_size=get("vocab_size"), hidden_size=get("hidden_size"),
                   intermediate_size=get("intermediate_size"), num_layers=get("num_hidden_layers"),
                   num_heads=get("num_attention_heads"),
                   num_kv_heads=get("num_key_value_heads", default=config["num_attention_heads"]),
                   head_dim=config.get("head_dim") or 0, tie_embeddings=bool(config.get("tie_word_embeddings")),
                   rope_theta=float(rope.get("rope_theta") or config.get("rope_theta") or 10000.0),
                   max_position_embeddings=get("max_position_embeddings", default=2048))


# config.json values of the models the paper trains (Meta's and InternLM's releases)
SHAPES = {
    "llama3_8b": ModelShape(vocab_size=128256, hidden_size=4096, intermediate_size=14336, num_layers=32,
                            num_heads=32, num_kv_heads=8),
    "llama3_1_70b": ModelShape(vocab_size=128256, hidden_size=8192, intermediate_size=28672, num_layers=80,
                               num_heads=64, num_kv_heads=8, max_position_embeddings=131072),
    "internlm2_7b": ModelShape(vocab_size=92544, hidden_size=4096, intermediate_size=14336, num_layers=32,
                               num_heads=32, num_kv_heads=8, rope_theta=1000000.0, max_position_embeddings=32768),
    "internlm2_1_8b": ModelShape(vocab_size=92544, hidden_size=2048, intermediate_size=8192, num_layers=24,
                                 num_heads=16, num_kv_heads=8, rope_theta=1000000.0, max_position_embeddings=32768),
}


# GPUs: dense BF16 tensor-core peak (the MFU denominator, common/train_config.py) and memory, from the data sheets
@dataclass(frozen=True)
class GPU:
    peak_bf16_flops: float
    memory_bytes: float


GPUS = {
    "a100-40gb": GPU(312e12, 40e9), "a100-80gb": GPU(312e12, 80e9), "a800-80gb": GPU(312e12, 80e9),
    "h100-80gb": GPU(989e12, 80e9), "h100-pcie": GPU(756e12, 80e9), "h800-80gb": GPU(989e12, 80e9),
    "h200": GPU(989e12, 141e9), "l40s": GPU(362e12, 48e9), "a10g": GPU(70e12, 24e9),
}


def gpu_by_name(name: str) -> GPU:
    if name.lower() not in GPUS:
        raise ValueError(f"unknown GPU {name!r}: one of {', '.join(GPUS)} (peak FLOPs are never guessed)")
    return GPUS[name.lower()]


@dataclass(frozen=True)
class RunShape:
    """How the model is trained: the engine's `train:` settings that memory depends on, and the world size."""

    world_size: int
    seq_len: int
    micro_batch_size: int
    mixed_precision: str = "bf16"  # compute dtype of the gathered parameters and activations
    activation_checkpointing: bool = True
    parallelism: str = "fsdp"  # fsdp | ddp | none
    cpu_offload: bool = False
    reshard_after_forward: bool = True
    loss_impl: str = "eager"  # eager | chunked | compiled
    loss_chunk_size: int = 1024
    grad_accum: int = 1  # micro-batches per optimizer step on each GPU
    trainable_params: int = -1  # -1 = all (full training); LoRA: the adapter's parameters
    frozen_bytes: int = 4  # bytes per parameter of frozen weights (LoRA base in bf16: 2)

    @property
    def compute_bytes(self) -> int:
        return 2 if self.mixed_precision == "bf16" else 4


def layer_activation_bytes_per_token(shape: ModelShape, c: int) -> float:
    """Bytes autograd keeps per token for one Llama decoder layer in compute dtype of `c` bytes: two RMSNorms
    ((4 + 2c) h each: the fp32 input, the normalised input, the projection input), attention (q, output and the
    o_proj input, c h each; k and v, c kv each; an fp32 log-sum-exp per head), the SwiGLU MLP (4c x MLP width)."""
    h, heads = shape.hidden_size, shape.num_heads
    attn = shape.num_heads * shape.dim
    return 2 * (4 + 2 * c) * h + 3 * c * attn + 2 * c * shape.kv_size + 4 * c * shape.intermediate_size + 4 * heads


def loss_bytes_per_token(shape: ModelShape, run: RunShape) -> float:
    """Logits and cross-entropy memory per token at its peak (start of backward). Eager: the fp32 log-softmax
    and two fp32 gradients of the vocabulary row (12 V, measured with FSDPMemTracker at fp32 and bf16). Chunked:
    the logits and their gradient in compute dtype plus 12 V per position of one chunk. Compiled: the logits
    and their gradient (inductor fuses the rest; an estimate, not measured here)."""
    v, c = shape.vocab_size, run.compute_bytes
    if run.loss_impl == "eager":
        return 12.0 * v
    if run.loss_impl == "chunked":
        tokens = run.micro_batch_size * run.seq_len
        return 2.0 * c * v + 12.0 * v * min(run.loss_chunk_size, tokens) / tokens
    return 2.0 * c * v


def memory_per_gpu(shape: ModelShape, run: RunShape) -> dict[str, float]:
    """Bytes per GPU by category at the step's peak, plus `host` (CPU memory per GPU with cpu_offload).

    The peak is taken over three moments of a micro-batch, as FSDPMemTracker sees them: the loss (every
    activation saved, the root resharded after forward, the last layer kept gathered), the head's backward (the
    root gathered again, the logits' gradient) and the last layer's backward (all gradients there; with
    checkpointing one recomputed layer and its gradients). With gradient accumulation the gradients of the
    earlier micro-batches exist at every moment."""
    shards = run.world_size if run.parallelism == "fsdp" else 1
    c, n, h, v = run.compute_bytes, run.micro_batch_size * run.seq_len, shape.hidden_size, shape.vocab_size
    trainable = shape.params if run.trainable_params < 0 else run.trainable_params
    params = (4 * trainable + run.frozen_bytes * (shape.params - trainable)) / shards
    optimizer, grads = 8.0 * trainable / shards, 4.0 * trainable / shards  # AdamW: exp_avg, exp_avg_sq (fp32)
    host = params + optimizer + grads if run.cpu_offload else 0.0
    if run.cpu_offload:
        params = optimizer = grads = 0.0
    if run.parallelism == "fsdp":
        full = c * shape.params
        gathered = {"loss": full if not run.reshard_after_forward else c * shape.layer_params,
                    "backward": full if not run.reshard_after_forward else c * (shape.root_params + shape.layer_params)}
    else:  # DDP keeps fp32 gradient buckets the size of the gradients
        gathered = dict.fromkeys(("loss", "backward"), 4.0 * trainable if run.parallelism == "ddp" else 0.0)
    layer = layer_activation_bytes_per_token(shape, c) * n
    norm = (4 + 2 * c) * h * n
    kept = shape.num_layers * (c * h * n if run.activation_checkpointing else layer)
    with_ckpt = shape.num_layers * c * h * n + norm + loss_bytes_per_token(shape, run) * n
    without_ckpt = shape.num_layers * layer + norm + loss_bytes_per_token(shape, run) * n
    earlier = grads if run.grad_accum > 1 else 0.0
    moments = {
        "loss": (earlier, gathered["loss"], with_ckpt if run.activation_checkpointing else without_ckpt),
        "head backward": (earlier, gathered["backward"], kept + norm + (4 + c) * v * n),
        "last layer backward": (grads, gathered["backward"], 2 * layer if run.activation_checkpointing else 0.0),
    }
    name, (g, gath, acts) = max(moments.items(), key=lambda kv: sum(kv[1]))
    out = {"parameters": params, "optimizer": optimizer, "gradients": g, "gathered_parameters": gath,
           "activations": acts, "activations_with_checkpointing": with_ckpt,
           "activations_without_checkpointing": without_ckpt, "host": host}
    out["total"] = params + optimizer + g + gath + acts
    out["peak_at"] = name
    return out


def throughput(shape: ModelShape, run: RunShape, gpu: GPU, mfu: float, tokens: float) -> dict[str, float]:
    """Tokens/s per GPU and in all at a given MFU (0-1), and the seconds `tokens` take."""
    per_gpu = mfu * gpu.peak_bf16_flops / shape.flops_per_token(run.seq_len)
    total = per_gpu * run.world_size
    return {"flops_per_token": shape.flops_per_token(run.seq_len), "tokens_per_s_per_gpu": per_gpu,
            "tokens_per_s": total, "seconds": tokens / total}


def mfu_for(shape: ModelShape, seq_len: int, gpus: int, gpu: GPU, tokens: float, seconds: float) -> float:
    """The MFU (0-1) that `tokens` in `seconds` on `gpus` GPUs implies (e.g. the paper's 20-day run)."""
    return tokens / seconds / gpus * shape.flops_per_token(seq_len) / gpu.peak_bf16_flops
