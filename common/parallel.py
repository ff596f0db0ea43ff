"""Parallelism applied to a model in one place: activation checkpointing, optionally torch.compile per decoder
layer, then FSDP2 `fully_shard` on every decoder layer and on the root with one MixedPrecisionPolicy (or DDP, or
nothing).

Order follows torchtitan: checkpointing first, then compiling, then sharding the layers, then the root (which takes the
embeddings, final norm and head). Master weights stay fp32; `mixed_precision=bf16` casts the gathered parameters
to bf16 for compute and reduces gradients in fp32.
"""

from __future__ import annotations

import torch
import torch.distributed as dist
from torch import nn

from common.train_config import TrainConfig

_CKPT_PREFIX = "_checkpoint_wrapped_module."


def find_no_split_modules(model: nn.Module) -> list[str]:
    """`_no_split_modules` of the HF model, looking through wrappers (PEFT's PeftModel -> LoraModel -> model)."""
    for module in model.modules():
        names = getattr(module, "_no_split_modules", None)
        if names:
            return list(names)
    return []


def decoder_layers(model: nn.Module, layer_cls: list[str] | None = None) -> list[nn.Module]:
    """The modules to shard/checkpoint one by one: instances of the configured (or the model's no-split) classes."""
    names = set(layer_cls or find_no_split_modules(model))
    if not names:
        raise ValueError("cannot find the decoder layer class: the model has no _no_split_modules; "
                         "set train.fsdp_layer_cls")
    layers = [m for m in model.modules() if type(m).__name__ in names]
    if not layers:
        raise ValueError(f"no module of class {sorted(names)} in the model; set train.fsdp_layer_cls "
                         f"(classes present: {sorted({type(m).__name__ for m in model.modules()})[:20]} ...)")
    return layers


def apply_activation_checkpointing(model: nn.Module, layer_cls: list[str] | None = None) -> None:
    """Recompute each decoder layer in backward. HF's own switch keeps parameter names unchanged (so state dicts
    and PEFT adapters are unaffected); other models get torch's non-reentrant checkpoint wrapper."""
    hf_model = next((m for m in model.modules() if getattr(m, "supports_gradient_checkpointing", False)), None)
    if hf_model is not None:
        kwargs = {"use_reentrant": False}
        if hasattr(hf_model, "activation_checkpointing_enable"):  # transformers >= 5
            hf_model.activation_checkpointing_enable(activation_checkpointing_kwargs=kwargs)
        else:
            hf_model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)
        if hasattr(hf_model.config, "use_cache"):
            hf_model.config.use_cache = False
        return
    from torch.distributed.algorithms._checkpoint.checkpoint_wrapper import (
        apply_activation_checkpointing as wrap_checkpoint,
    )
    names = set(layer_cls or find_no_split_modules(model))
    wrap_checkpoint(model, check_fn=lambda m: type(m).__name__ in names)


def apply_compile(model: nn.Module, cfg: TrainConfig) -> None:
    """torch.compile every decoder layer in place. `Module.compile` keeps the module and its parameter names (no
    `_orig_mod.` prefix), so state dicts, checkpoints, exports and PEFT adapters are unchanged. Applied after
    activation checkpointing (the checkpoint is traced into the compiled layer) and before fully_shard (FSDP's
    hooks stay outside the compiled region), as torchtitan does."""
    for layer in decoder_layers(model, cfg.fsdp_layer_cls):
        layer.compile(backend=cfg.compile_backend)


def mixed_precision_policy(cfg: TrainConfig):
    from torch.distributed.fsdp import MixedPrecisionPolicy

    param_dtype = torch.bfloat16 if cfg.mixed_precision == "bf16" else torch.float32
    return MixedPrecisionPolicy(param_dtype=param_dtype, reduce_dtype=torch.float32)


def apply_fsdp(model: nn.Module, cfg: TrainConfig, device: torch.device) -> nn.Module:
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import CPUOffloadPolicy, OffloadPolicy, fully_shard

    mesh = init_device_mesh(device.type, (dist.get_world_size(),))
    kwargs = {"mesh": mesh, "mp_policy": mixed_precision_policy(cfg),
              "offload_policy": CPUOffloadPolicy() if cfg.cpu_offload else OffloadPolicy()}
    layers = decoder_layers(model, cfg.fsdp_layer_cls)
    for i, layer in enumerate(layers):
        # the last layer's weights are needed again at once by backward: keep them gathered
        reshard = cfg.reshard_after_forward and i < len(layers) - 1
        fully_shard(layer, reshard_after_forward=reshard, **kwargs)
    fully_shard(model, reshard_after_forward=cfg.reshard_after_forward, **kwargs)
    return model


def parallelize(model: nn.Module, cfg: TrainConfig, device: torch.device) -> nn.Module:
    """Checkpointing + sharding/replication as configured. Returns the module to call in the step loop."""
    from common.distributed import all_reduce_max

    if cfg.activation_checkpointing:
        apply_activation_checkpointing(model, cfg.fsdp_layer_cls)
    if cfg.compile:
        apply_compile(model, cfg)
    meta_init = all_reduce_max(float(has_meta_params(model)), device) > 0
    if cfg.parallelism == "fsdp":
        full_state = buffers = None
        if meta_init and dist.get_rank() == 0:
            if has_meta_params(model):
                raise ValueError("meta-device init: rank 0 must hold the real weights")
            full_state = {k.replace(_CKPT_PREFIX, ""): v for k, v in model.state_dict().items()}
            buffers = {k: v.detach().clone() for k, v in model.named_buffers()}
        apply_fsdp(model, cfg, device)
        if meta_init:
            materialize_from_rank0(model, full_state, buffers, device)
        return model
    if meta_init:
        raise ValueError(f"a model built on the meta device needs parallelism=fsdp, not {cfg.parallelism}")
    model.to(device)
    if cfg.parallelism == "ddp":
        from torch.nn.parallel import DistributedDataParallel

        return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    return model


def has_meta_params(model: nn.Module) -> bool:
    return any(p.is_meta for p in model.parameters())


def materialize_from_rank0(model: nn.Module, full_state: dict | None, buffers: dict | None,
                           device: torch.device) -> None:
    """Fill a sharded model whose other ranks were built on the meta device: rank 0 holds the full weights
    (`full_state`, CPU) and its buffers (e.g. rotary inv_freq, not in the state dict); they are broadcast."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, set_model_state_dict

    model.to_empty(device=device)
    opts = StateDictOptions(full_state_dict=True, broadcast_from_rank0=True)
    set_model_state_dict(model, full_state if dist.get_rank() == 0 else {}, options=opts)
    for name, buf in model.named_buffers():
        if dist.get_rank() == 0:
            buf.copy_(buffers[name].to(buf.device, buf.dtype))
        dist.broadcast(buf, src=0)
