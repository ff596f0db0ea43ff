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
    grad_sync: str = "every_micro_batch"  # every_micro_batch | last_micro_batch (train.grad_sync)
    padding_mask: bool = False  # batches carry an attention mask (window data, fine-tuning)
    compile: bool = False  # train.compile: inductor fuses the layer's elementwise ops (an estimate)
    trainable_params: int = -1  # -1 = all (full training); LoRA: the adapter's parameters
    frozen_bytes: int = 4  # bytes per parameter of frozen weights (LoRA base in bf16: 2)

    @property
    def compute_bytes(self) -> int:
        return 2 if self.mixed_precision == "bf16" else 4


# the groups of a plan, each the sum of FSDPMemTracker categories (tests/test_plan.py compares them group by group)
MEMORY_GROUPS = {
    "parameters": ("SHARDED_PARAM", "BUFFER"),
    "optimizer": ("OPT",),
    "gradients": ("SHARDED_GRAD", "UNSHARDED_GRAD"),
    "gathered_parameters": ("UNSHARDED_PARAM",),
    "communication": ("ALL_GATHER", "REDUCE_SCATTER"),
    "activations": ("ACT", "TEMP", "INP"),
}


def layer_activation_bytes_per_token(shape: ModelShape, c: int, padding_mask: bool = False,
                                     compiled: bool = False) -> float:
    """Bytes autograd keeps per token for one Llama decoder layer in compute dtype of `c` bytes: two RMSNorms
    ((4 + 2c) h each: the fp32 input, the normalised input, the projection input), attention (q, output and the
    o_proj input, c h each; k and v, c kv each; an fp32 log-sum-exp per head), the SwiGLU MLP (4c x MLP width).
    With a padding mask transformers repeats k and v to every head before SDPA (both saved at full width).
    Compiled (an estimate, not measured here): inductor recomputes the norms' fp32 math and silu(gate) * up."""
    h, heads = shape.hidden_size, shape.num_heads
    attn = shape.num_heads * shape.dim
    kv = attn if padding_mask else shape.kv_size
    norms = 2 * (c * h if compiled else (4 + 2 * c) * h)
    mlp = (2 if compiled else 4) * c * shape.intermediate_size
    return norms + 3 * c * attn + 2 * c * kv + mlp + 4 * heads


def layer_backward_bytes_per_token(shape: ModelShape, c: int) -> float:
    """Gradients of one layer's activations alive at its backward's peak, beyond what the layer saves: fitted to
    FSDPMemTracker at fp32 and bf16 (tests/test_plan.py), about (c + 1) x 2.5 x MLP width."""
    return (c + 1) * 2.5 * shape.intermediate_size


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


def _moment(gradients: float, gathered: float, communication: float, activations: float) -> dict[str, float]:
    return {"gradients": gradients, "gathered_parameters": gathered, "communication": communication,
            "activations": activations}


def _fsdp_moments(shape: ModelShape, run: RunShape, trainable: int) -> dict[str, dict[str, float]]:
    """What FSDP2 and the model hold beyond the sharded state at each moment of the step's last micro-batch (the
    one with the most accumulated): the loss, the head's backward, each layer's backward, the root's reduce-scatter.

    FSDP2 keeps the root (embeddings, norm, head) gathered from the head's backward to the end, prefetches the next
    layer's all-gather (compute dtype) while a layer runs backward, and keeps a layer's fp32 reduce-scatter input
    until the next one is issued. With grad_sync every_micro_batch the earlier micro-batches' gradients are
    sharded (4 B / world); with last_micro_batch they are unsharded fp32 (4 B per trainable parameter) until each
    layer's reduce-scatter in the last micro-batch."""
    w, c, layers = run.world_size, run.compute_bytes, shape.num_layers
    n, h = run.micro_batch_size * run.seq_len, shape.hidden_size
    frac = 1.0 if run.trainable_params < 0 else trainable / shape.params  # LoRA: what is reduce-scattered
    layer_t, root_t = frac * shape.layer_params, frac * shape.root_params
    accumulating = run.grad_accum > 1
    unsharded_acc = accumulating and run.grad_sync == "last_micro_batch"
    # reduced (sharded) fp32 gradients: on the host with cpu_offload
    sharded = 0.0 if run.cpu_offload else 4.0 / w
    earlier = (4.0 * trainable if unsharded_acc else sharded * trainable) if accumulating else 0.0
    # a layer's fp32 reduce-scatter input of the earlier micro-batch is still held when the next one's layers
    # start their backward (measured)
    pending_rs = 4.0 * layer_t if accumulating and not unsharded_acc else 0.0
    full = c * shape.params
    layer_g = full if not run.reshard_after_forward else c * shape.layer_params
    root_g = full if not run.reshard_after_forward else c * (shape.root_params + shape.layer_params)
    prefetch = 0.0 if not run.reshard_after_forward else c * shape.layer_params
    per_layer = layer_activation_bytes_per_token(shape, c, run.padding_mask, run.compile) * n
    mask = run.micro_batch_size * run.seq_len ** 2 if run.padding_mask else 0.0  # one bool mask per forward
    norm = (4 + 2 * c) * h * n
    loss = loss_bytes_per_token(shape, run) * n
    kept_per_layer = c * h * n if run.activation_checkpointing else per_layer
    loss_acts = layers * kept_per_layer + mask + norm + loss
    moments = {"loss": _moment(earlier, layer_g, 0.0, loss_acts)}
    if pending_rs:  # the earlier micro-batch's last reduce-scatter input, when its collective finishes late
        moments["loss, a reduce-scatter still held"] = _moment(earlier, layer_g, pending_rs, loss_acts)
    head_acts = layers * kept_per_layer + mask + norm + (4 + c) * shape.vocab_size * n
    # the root gathered again for the head, the last layer too, the next layer's all-gather in flight; then the
    # last layer resharded with its fp32 reduce-scatter input held (first wins a tie: what the tracker shows)
    moments["head backward"] = _moment(earlier, root_g, prefetch, head_acts)
    moments["last layer reduce-scatter"] = _moment(earlier, root_g - prefetch, prefetch + 4.0 * layer_t, head_acts)
    grad_temps = layer_backward_bytes_per_token(shape, c) * n
    for done in range(layers):  # backward of the (done+1)-th layer from the end
        if unsharded_acc:
            grads = 4.0 * (trainable - done * layer_t) + done * sharded * layer_t
        else:
            grads = earlier if accumulating else done * sharded * layer_t
        left = layers - done - 1
        # with checkpointing the layer's activations are recomputed whole; without, they are its saved ones,
        # consumed as its gradients appear (measured: the peak is then at the head's backward)
        recompute = per_layer if run.activation_checkpointing else 0.0
        acts = left * kept_per_layer + recompute + mask
        comm = (prefetch if left else 0.0) + (4.0 * layer_t if done or pending_rs else 0.0)
        moments[f"layer {layers - done - 1} backward"] = _moment(grads, root_g, comm, acts + grad_temps)
        if not left and run.activation_checkpointing and run.reshard_after_forward:
            # the first layer just recomputed, its own all-gather output not yet released (seen when the
            # collectives finish late), before its gradients exist
            moments["layer 0 recomputed"] = _moment(grads, root_g, comm + c * shape.layer_params, acts)
    end_grads = sharded * (trainable if accumulating and not unsharded_acc else trainable - root_t)
    moments["root reduce-scatter"] = _moment(end_grads + c * root_t, 0.0, 4.0 * root_t, 0.0)
    return moments


def _replicated_moments(shape: ModelShape, run: RunShape, trainable: int) -> dict[str, dict[str, float]]:
    """DDP (fp32 gradient buckets the size of the gradients) or one process: every tensor whole."""
    c, n = run.compute_bytes, run.micro_batch_size * run.seq_len
    buckets = 4.0 * trainable if run.parallelism == "ddp" else 0.0
    per_layer = layer_activation_bytes_per_token(shape, c, run.padding_mask, run.compile) * n
    kept = shape.num_layers * (c * shape.hidden_size * n if run.activation_checkpointing else per_layer)
    norm = (4 + 2 * c) * shape.hidden_size * n
    loss = loss_bytes_per_token(shape, run) * n
    earlier = 4.0 * trainable if run.grad_accum > 1 else 0.0
    return {"loss": _moment(earlier, 0.0, buckets, kept + norm + loss),
            "layer backward": _moment(4.0 * trainable, 0.0, buckets,
                                      2 * per_layer if run.activation_checkpointing else per_layer)}


def memory_per_gpu(shape: ModelShape, run: RunShape) -> dict:
    """Bytes per GPU by group (MEMORY_GROUPS) at the step's peak, plus `host` (CPU memory per GPU with
    cpu_offload), `peak_at` (the moment), the activations with and without checkpointing, and `moments` (the
    groups at every moment considered: near-ties, such as the backward of the last two layers, can swap).

    Static: sharded fp32 master weights (LoRA: the frozen base in its own dtype), AdamW's two fp32 states and,
    once reduced, the sharded fp32 gradients. The rest is the largest of the moments of _fsdp_moments."""
    shards = run.world_size if run.parallelism == "fsdp" else 1
    trainable = shape.params if run.trainable_params < 0 else run.trainable_params
    params = (4 * trainable + run.frozen_bytes * (shape.params - trainable)) / shards
    optimizer = 8.0 * trainable / shards
    host = params + optimizer + 4.0 * trainable / shards if run.cpu_offload else 0.0
    if run.cpu_offload:
        params = optimizer = 0.0
    if run.parallelism == "fsdp":
        moments = _fsdp_moments(shape, run, trainable)
    else:
        moments = _replicated_moments(shape, run, trainable)
    name, peak = max(moments.items(), key=lambda kv: sum(kv[1].values()))
    c, n, h = run.compute_bytes, run.micro_batch_size * run.seq_len, shape.hidden_size
    per_layer = layer_activation_bytes_per_token(shape, c, run.padding_mask, run.compile) * n
    tail = (4 + 2 * c) * h * n + loss_bytes_per_token(shape, run) * n
    out = {"parameters": params, "optimizer": optimizer, **peak, "host": host, "peak_at": name,
           "activations_with_checkpointing": shape.num_layers * c * h * n + tail,
           "activations_without_checkpointing": shape.num_layers * per_layer + tail}
    out["total"] = params + optimizer + sum(peak.values())
    out["moments"] = {moment: {"parameters": params, "optimizer": optimizer, **groups,
                               "total": params + optimizer + sum(groups.values())}
                      for moment, groups in moments.items()}
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
