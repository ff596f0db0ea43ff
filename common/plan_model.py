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
