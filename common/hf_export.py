"""HF model dirs in and out of the engine: load a causal LM for training (optionally weights on rank 0 only), and
export a trained (sharded) model as a plain HF dir with safetensors shards, loadable by
`AutoModelForCausalLM.from_pretrained` without this codebase.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn

DTYPES = {"bfloat16": torch.bfloat16, "bf16": torch.bfloat16, "float16": torch.float16, "fp16": torch.float16,
          "float32": torch.float32, "fp32": torch.float32}


def check_model_dir(model_dir: str | Path, weights: bool = True) -> Path:
    """The dir, after its config, weights (unless `weights` is False: a command that builds the model from its
    config) and tokenizer files were checked (one line naming a damaged file)."""
    from common.model_files import check_model_files

    return check_model_files(model_dir, weights)


def load_causal_lm(model_dir: str | Path, trust_remote_code: bool = False, meta_on_other_ranks: bool = False,
                   attn_implementation: str | None = None) -> nn.Module:
    """fp32 master weights for training. With `meta_on_other_ranks`, only rank 0 reads the weights; the others
    build the model on the meta device and receive rank 0's weights after sharding (common.parallel), so an 8B
    model needs one CPU copy per node, not eight. `config.dtype` keeps the checkpoint's dtype for export."""
    from transformers import AutoConfig, AutoModelForCausalLM

    path = check_model_dir(model_dir)
    config = AutoConfig.from_pretrained(path, trust_remote_code=trust_remote_code)
    saved_dtype = getattr(config, "dtype", None) or torch.float32
    kwargs = {"trust_remote_code": trust_remote_code, "dtype": torch.float32}
    if attn_implementation:
        kwargs["attn_implementation"] = attn_implementation
    rank = dist.get_rank() if dist.is_initialized() else 0
    if meta_on_other_ranks and rank != 0:
        with torch.device("meta"):
            model = AutoModelForCausalLM.from_config(config, **kwargs)
    else:
        model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    model.config.dtype = saved_dtype
    return model


def gather_full_state_dict(model: nn.Module) -> dict | None:
    """Collective: the unsharded state dict on CPU on rank 0 (None on other ranks); clean HF parameter names."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    if not dist.is_initialized():
        return {k: v.detach().cpu() for k, v in model.state_dict().items()}
    opts = StateDictOptions(full_state_dict=True, cpu_offload=True)
    state = get_model_state_dict(model, options=opts)
    return state if dist.get_rank() == 0 else None


def _export_dtype(model: nn.Module, dtype: str) -> torch.dtype:
    if dtype == "auto":
        saved = getattr(getattr(model, "config", None), "dtype", None)
        if isinstance(saved, str):
            return DTYPES.get(saved, torch.float32)
        return saved if isinstance(saved, torch.dtype) else torch.float32
    if dtype not in DTYPES:
        raise ValueError(f"export dtype {dtype!r} is not one of auto, {', '.join(DTYPES)}")
    return DTYPES[dtype]


def save_hf_model(model: nn.Module, state: dict, out_dir: str | Path, tokenizer=None, dtype: str = "auto",
                  max_shard_size: str = "5GB") -> Path:
    """Rank-0 side of the export: safetensors shards (+ index), config, generation config, tokenizer.
    A PEFT model is saved as its adapter (PEFT's own format)."""
    from huggingface_hub import save_torch_state_dict

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if hasattr(model, "peft_config"):
        model.save_pretrained(out, state_dict=state, safe_serialization=True)
    else:
        target = _export_dtype(model, dtype)
        # own storage per tensor (gathered shards can be views of one buffer, which safetensors refuses);
        # popping as we go keeps rank 0's peak at about one model copy plus one tensor
        tensors = {}
        for key in list(state):
            value = state.pop(key)
            tensors[key] = (value.to(target) if value.is_floating_point() else value).clone().contiguous()
        for stale in out.glob("model*.safetensors*"):
            stale.unlink()  # shards of an earlier export with another shard count
        save_torch_state_dict(tensors, out, max_shard_size=max_shard_size, metadata={"format": "pt"})
        model.config.dtype = target
        # training switches the KV cache off (activation checkpointing); the exported model generates with it
        use_cache = getattr(model.config, "use_cache", None)
        if use_cache is not None:
            model.config.use_cache = True
        model.config.save_pretrained(out)
        if use_cache is not None:
            model.config.use_cache = use_cache
        gen = getattr(model, "generation_config", None)
        if gen is not None:
            gen.save_pretrained(out)
    if tokenizer is not None:
        tokenizer.save_pretrained(out)
    return out


def export_hf(model: nn.Module, unwrapped: nn.Module, out_dir: str | Path, tokenizer=None,
              dtype: str = "auto") -> Path:
    """Collective: gather the weights of a (sharded) model and write a HF dir on rank 0."""
    state = gather_full_state_dict(model)
    if state is not None:
        save_hf_model(unwrapped, state, out_dir, tokenizer=tokenizer, dtype=dtype)
    if dist.is_initialized():
        dist.barrier()
    return Path(out_dir)


def copy_remote_code(model_dir: str, out_dir: Path) -> None:
    """A trust_remote_code model's modeling files must travel with its weights."""
    for py in Path(model_dir).glob("*.py"):
        shutil.copy2(py, out_dir / py.name)
