"""The settings of `finetune.run` (full or LoRA fine-tuning on MMedBench), and which of them its checkpoints
depend on (RESUME_KEYS)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import torch

from common.config import bad
from common.run import AllFieldsBut, OnMismatch
from common.train_config import TrainConfig
from common.train_run import TRAIN_NOT_RESULTS
from finetune.data import FinetuneDataConfig
from finetune.lora import LoraSection

MODEL_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}


@dataclass
class FinetuneConfig:
    model: str = field(default="artifacts/tiny-llama", metadata={"help": "base HF model dir (offline)"})
    method: Literal["full", "lora"] = field(default="lora", metadata={
        "help": "full (all weights, FSDP2) or lora (PEFT adapter)"})
    model_dtype: Literal["fp32", "bf16"] = field(default="fp32", metadata={
        "help": "dtype the base weights are loaded in. Full fine-tuning keeps fp32 master weights "
                "(train.mixed_precision sets the compute dtype); LoRA may load the frozen base in bf16 (the "
                "adapter stays fp32)"})
    trust_remote_code: bool = field(default=False, metadata={"help": "run model code from the model dir "
                                                                     "(needed by InternLM2)"})
    data: FinetuneDataConfig = field(default_factory=FinetuneDataConfig)
    lora: LoraSection = field(default_factory=LoraSection)
    on_mismatch: OnMismatch = field(default="error", metadata={
        "help": "checkpoints in train.output of another model, recipe or data: error, or redo (delete them "
                "and start over)"})
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        output="outputs/finetune/run", lr=1e-6, warmup_ratio=0.03, global_batch_size=128, epochs=5.0))

    def validate(self) -> None:
        if self.method == "full" and self.model_dtype != "fp32":
            bad("model_dtype", "method full keeps fp32 master weights: use model_dtype fp32 (train.mixed_precision "
                "bf16 computes in bf16)")


# what the checkpoints depend on: every field but these (and common.train_run.TRAIN_NOT_RESULTS), so a field added
# to the config is compared on resume unless it is listed here with the reason it cannot change the result
RESUME_KEYS = AllFieldsBut({
    **TRAIN_NOT_RESULTS,
    "on_mismatch": "what to do on a mismatch", "trust_remote_code": "permission to run the model's code",
    "data.train_dir": "the files' content is the data key", "data.instructions": "the file's content is the data key",
})
