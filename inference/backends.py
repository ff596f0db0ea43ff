"""Generation backends: `hf` (transformers, batched greedy) and `vllm` (optional extra, GPU).

Both take the same prompts and return the generated text only (no prompt), cut after the first completed answer
line. Decoding is greedy and never random: sampling settings shipped in a model's generation_config.json (Llama 3
ships temperature/top_p) are overridden, the bug the paper's script had.

Batching does not change the answers: prompts are left-padded, the attention mask hides the padding and the
position ids are computed from the mask, so in fp32 a batched row computes what it would alone.

Models too big for one device: `device_map` (accelerate's big-model inference) places the decoder layers over
several GPUs, the CPU and a disk folder (`max_memory` caps each, `offload_folder` holds what goes to disk). The
layers then run one after another on their devices with the same kernels, so the generated text equals the
one-device path (tested on CPU with a 70B-shaped model split between memory and disk).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch

from common.prompts import ANSWER_HEADER
from inference.parse import cut_after_answer_line, has_answer_line

# decoded tail length checked for a finished answer line; "###Answer: OPTION A,B,C,D,E IS CORRECT." < 48 chars
_TAIL_TOKENS = 64


@dataclass
class ModelSpec:
    model: str  # HF model dir (or the base when adapter is set; "" = the adapter's base_model_name_or_path)
    adapter: str = ""
    dtype: str = "auto"  # auto | float32 | bfloat16 | float16
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    trust_remote_code: bool = False
    device_map: str = ""  # "" = the whole model on `device` | auto | balanced | balanced_low_0 | sequential
    max_memory: dict[str, str] = field(default_factory=dict)  # device_map caps: {"0": "70GiB", "cpu": "200GiB"}
    offload_folder: str = ""  # where device_map puts layers that fit nowhere else ("disk")


DEVICE = re.compile(r"auto|cpu|cuda(:\d+)?")


def resolve_device(device: str) -> torch.device:
    """auto | cpu | cuda | cuda:N; anything else (tpu, cuda:x, a typo) is one line naming the key."""
    if not DEVICE.fullmatch(device):
        raise ValueError(f"key 'device': must be auto, cpu, cuda or cuda:N, got {device!r}")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available() and device != "cpu":
        raise ValueError(f"key 'device': {device} asked for, but torch sees no CUDA device here (use auto or cpu)")
    return torch.device(device)


def resolve_dtype(dtype: str, device: torch.device) -> torch.dtype:
    if dtype == "auto":
        # bf16 on a GPU that has it, fp32 on CPU (exact and batch-invariant)
        if device.type == "cuda" and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float32
    names = {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16, "bf16": torch.bfloat16,
             "float16": torch.float16, "fp16": torch.float16}
    if dtype not in names:
        raise ValueError(f"dtype must be auto, float32, bfloat16 or float16, got {dtype!r}")
    return names[dtype]


def base_model_dir(spec: ModelSpec) -> str:
    """The dir holding the base weights: `model`, or the adapter's base_model_name_or_path."""
    from common.model_files import check_adapter_files, check_model_files, read_json_file

    if spec.adapter:  # damaged or pickled adapter files are one line naming them, before any loading
        check_adapter_files(spec.adapter)
    if spec.model:
        path = spec.model
    elif spec.adapter:
        cfg_path = Path(spec.adapter) / "adapter_config.json"
        path = read_json_file(cfg_path).get("base_model_name_or_path") or ""
        if not path:
            raise ValueError(f"{cfg_path} names no base_model_name_or_path; set `model` to the base model dir")
    else:
        raise ValueError("set `model` (a HF model dir) or `adapter` (a PEFT adapter dir)")
    if not (Path(path) / "config.json").exists():
        raise FileNotFoundError(f"model not found: {path} (a local HF model dir with config.json is needed; "
                                "nothing is downloaded)")
    check_model_files(path)
    return path


def load_tokenizer(spec: ModelSpec):
    from transformers import AutoTokenizer

    source = spec.adapter if spec.adapter and (Path(spec.adapter) / "tokenizer_config.json").exists() \
        else base_model_dir(spec)
    tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=spec.trust_remote_code)
    tokenizer.padding_side = "left"
    if tokenizer.pad_token_id is None:  # Llama 3 ships none; padding is masked so any id works
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


_DEVICE_MAPS = ("auto", "balanced", "balanced_low_0", "sequential")


def placement_kwargs(spec: ModelSpec) -> dict:
    """from_pretrained arguments of a `device_map` placement ({} for the one-device path)."""
    if not spec.device_map:
        if spec.max_memory or spec.offload_folder:
            raise ValueError("max_memory and offload_folder need device_map (e.g. device_map: auto)")
        return {}
    if spec.device_map not in _DEVICE_MAPS:
        raise ValueError(f"device_map must be '' or one of {', '.join(_DEVICE_MAPS)}, got {spec.device_map!r}")
    kwargs: dict = {"device_map": spec.device_map}
    if spec.max_memory:
        # accelerate names GPUs by integer index; YAML and the command line give strings
        kwargs["max_memory"] = {int(k) if str(k).isdigit() else str(k): v for k, v in spec.max_memory.items()}
    if spec.offload_folder:
        kwargs["offload_folder"] = spec.offload_folder
    return kwargs


def input_device(model) -> torch.device:
    """Where the token ids go: the model's device, or with a device map the first GPU it uses (accelerate runs
    CPU- and disk-offloaded layers there), else the CPU."""
    device_map = getattr(model, "hf_device_map", None)
    if not device_map:
        return model.device
    accelerators = [torch.device(f"cuda:{d}" if isinstance(d, int) else d) for d in device_map.values()
                    if d not in ("cpu", "disk", "meta")]
    return min(accelerators, key=lambda d: d.index or 0) if accelerators else torch.device("cpu")


def load_model(spec: ModelSpec, device: torch.device, dtype: torch.dtype):
    from transformers import AutoModelForCausalLM

    placement = placement_kwargs(spec)
    model = AutoModelForCausalLM.from_pretrained(base_model_dir(spec), dtype=dtype, use_safetensors=True,
                                                 trust_remote_code=spec.trust_remote_code, **placement)
    if spec.adapter:
        from peft import PeftModel

        if not (Path(spec.adapter) / "adapter_config.json").exists():
            raise FileNotFoundError(f"adapter not found: {spec.adapter} (no adapter_config.json)")
        # accelerate keeps offloaded weights on the meta device and streams them in: nothing to merge into
        offload = {"disk"} | ({"cpu"} if input_device(model).type != "cpu" else set())
        if placement and offload & set(model.hf_device_map.values()):
            raise ValueError("an adapter cannot be merged into offloaded weights: merge it first "
                             "(python -m finetune.merge) and set `model` to the merged dir")
        model = PeftModel.from_pretrained(model, spec.adapter).merge_and_unload()
    if placement:
        return model.eval()  # accelerate's hooks own the placement
    return model.to(device).eval()


def greedy_generation_config(model, tokenizer, max_new_tokens: int):
    """A copy of the model's generation config with every sampling knob switched off."""
    import copy

    gen = copy.deepcopy(model.generation_config)
    gen.do_sample = False
    gen.num_beams = 1
    gen.temperature = None
    gen.top_p = None
    gen.top_k = None
    gen.typical_p = None
    gen.min_p = None
    gen.repetition_penalty = None
    gen.max_new_tokens = max_new_tokens
    gen.max_length = None
    gen.pad_token_id = tokenizer.pad_token_id
    if gen.eos_token_id is None:
        gen.eos_token_id = tokenizer.eos_token_id
    return gen


def full_stop_token_ids(tokenizer) -> torch.Tensor:
    """Ids of the tokens that contain "." (an answer line can only be completed by one of them)."""
    tokens = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    return torch.tensor([i for i, t in enumerate(tokens) if t is not None and "." in t], dtype=torch.long)


class AnswerLineStop:
    """Per-row stop: a row is done when its generated text has a completed "###Answer: ... IS CORRECT." line.

    Only rows whose newest token contains "." are decoded (the line ends with one), so the check is cheap.
    """

    def __init__(self, tokenizer, prompt_len: int, full_stop_ids: torch.Tensor | None = None):
        self.tokenizer = tokenizer
        self.prompt_len = prompt_len
        self.full_stop_ids = full_stop_ids if full_stop_ids is not None else full_stop_token_ids(tokenizer)

    def __call__(self, input_ids: torch.LongTensor, scores=None, **kwargs) -> torch.BoolTensor:
        done = torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
        generated = input_ids[:, self.prompt_len:]
        if generated.shape[1] == 0:
            return done
        candidates = torch.isin(generated[:, -1].cpu(), self.full_stop_ids).nonzero().flatten().tolist()
        if not candidates:
            return done
        tails = self.tokenizer.batch_decode(generated[candidates, -_TAIL_TOKENS:], skip_special_tokens=True)
        for row, tail in zip(candidates, tails):
            done[row] = ANSWER_HEADER in tail and has_answer_line(tail)
        return done


class HFBackend:
    """Batched greedy generation with transformers."""

    def __init__(self, spec: ModelSpec, max_new_tokens: int = 512):
        self.device = resolve_device(spec.device)
        self.dtype = resolve_dtype(spec.dtype, self.device)
        self.tokenizer = load_tokenizer(spec)
        self.model = load_model(spec, self.device, self.dtype)
        self.device = input_device(self.model) if spec.device_map else self.device
        self.generation_config = greedy_generation_config(self.model, self.tokenizer, max_new_tokens)
        self.full_stop_ids = full_stop_token_ids(self.tokenizer)

    def prompt_lengths(self, prompts: Sequence[str]) -> list[int]:
        return [len(ids) for ids in self.tokenizer(list(prompts), add_special_tokens=True)["input_ids"]]

    @torch.inference_mode()
    def generate(self, prompts: Sequence[str]) -> list[str]:
        from transformers import StoppingCriteriaList

        batch = self.tokenizer(list(prompts), return_tensors="pt", padding=True, add_special_tokens=True)
        input_ids = batch["input_ids"].to(self.device)
        attention_mask = batch["attention_mask"].to(self.device)
        # positions count real tokens only, so a left-padded row sees the positions it would see alone
        position_ids = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)
        out = self.model.generate(
            input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
            generation_config=self.generation_config,
            stopping_criteria=StoppingCriteriaList([AnswerLineStop(self.tokenizer, input_ids.shape[1], self.full_stop_ids)]),
        )
        texts = self.tokenizer.batch_decode(out[:, input_ids.shape[1]:], skip_special_tokens=True)
        return [cut_after_answer_line(t).strip() for t in texts]


class VLLMBackend:
    """vLLM (GPU): the same prompts, greedy, tensor parallel; LoRA adapters served unmerged."""

    def __init__(self, spec: ModelSpec, max_new_tokens: int = 512, tensor_parallel_size: int = 1,
                 gpu_memory_utilization: float = 0.9, max_model_len: int = 0):
        try:
            from vllm import LLM, SamplingParams
        except ImportError:
            raise ImportError("the vllm backend needs vLLM: pip install 'mmed[vllm]' (GPU machines), or use "
                              "backend: hf") from None
        kwargs = {"max_model_len": max_model_len} if max_model_len else {}
        if spec.adapter:  # served unmerged; vLLM needs the adapter's rank up front
            adapter_cfg = json.loads((Path(spec.adapter) / "adapter_config.json").read_text(encoding="utf-8"))
            kwargs.update(enable_lora=True, max_lora_rank=max(16, int(adapter_cfg.get("r", 16))))
        has_own_tokenizer = bool(spec.adapter) and (Path(spec.adapter) / "tokenizer_config.json").exists()
        self.llm = LLM(model=base_model_dir(spec), tokenizer=spec.adapter if has_own_tokenizer else None,
                       dtype=spec.dtype, tensor_parallel_size=tensor_parallel_size,
                       trust_remote_code=spec.trust_remote_code, gpu_memory_utilization=gpu_memory_utilization,
                       seed=0, **kwargs)
        # temperature 0 is greedy in vLLM (the model's sampling defaults are not used); stop at the end of the
        # answer line and keep the stop text
        self.params = SamplingParams(temperature=0.0, max_tokens=max_new_tokens, stop=["IS CORRECT."],
                                     include_stop_str_in_output=True)
        self.lora = None
        if spec.adapter:
            from vllm.lora.request import LoRARequest

            self.lora = LoRARequest("adapter", 1, spec.adapter)

    def prompt_lengths(self, prompts: Sequence[str]) -> list[int]:
        return [len(p) for p in prompts]  # vLLM schedules itself; character length is enough to sort

    def generate(self, prompts: Sequence[str]) -> list[str]:
        outputs = self.llm.generate(list(prompts), self.params, lora_request=self.lora, use_tqdm=False)
        return [cut_after_answer_line(o.outputs[0].text).strip() for o in outputs]
