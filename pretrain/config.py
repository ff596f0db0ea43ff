"""The settings of `pretrain.train` (continued pretraining), and which of them its checkpoints depend on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from common.config import bad
from common.run import AllFieldsBut, OnMismatch
from common.train_config import TrainConfig
from common.train_run import TRAIN_NOT_RESULTS

ExportDtype = Literal["auto", "bfloat16", "float32"]  # of the written weights; auto: the base model's


@dataclass
class PretrainConfig:
    model: str = field(default="", metadata={"help": "HF model dir to continue pretraining from"})
    data: str = field(default="", metadata={"help": "tokenized dataset dir (python -m pretrain.tokenize)"})
    trust_remote_code: bool = field(default=False, metadata={"help": "run the model dir's own code (InternLM2)"})
    attn_implementation: Literal["sdpa", "flash_attention_2", "eager", ""] = field(default="sdpa", metadata={
        "help": "the attention kernel ('': the model's default)"})
    init_on_rank0: bool = field(default=True, metadata={
        "help": "only rank 0 reads the weights; the others start on the meta device and get them after sharding"})
    val_languages: list[str] = field(default_factory=list, metadata={
        "help": "languages of the validation split to report (empty: all present)"})
    export_at_end: bool = field(default=True, metadata={"help": "write the HF model when training finishes"})
    export_dir: str = field(default="", metadata={"help": "HF output dir (default: <train.output>/hf)"})
    export_dtype: ExportDtype = field(default="auto", metadata={
        "help": "auto (the base model's dtype), bfloat16 or float32"})
    mixture: list[str] = field(default_factory=list, metadata={
        "help": "instead of data: tokenized datasets mixed by weight, each 'DIR=WEIGHT' or 'DIR:LANG=WEIGHT' "
                "(e.g. --mixture data/mmedc=0.9,data/general-replay=0.1); every step takes each one's share of the global "
                "batch, the same at any world size and after a resume (common/mixture.py); needs train.max_steps; "
                "realised sequences and tokens per source in <train.output>/mixture.json"})
    document_mask: bool = field(default=False, metadata={
        "help": "pack-mode data: each document attends only to itself (position ids restart after every EOS; "
                "transformers builds the block-diagonal causal mask) and no document's first token is a target "
                "of the one before (common/packing.py)"})
    on_mismatch: OnMismatch = field(default="error", metadata={
        "help": "checkpoints in train.output made from another model or data: error, or redo (delete them "
                "and start over)"})
    train: TrainConfig = field(default_factory=TrainConfig)

    def validate(self) -> None:
        if bool(self.data) == bool(self.mixture):
            both = "not both" if self.data else "none is set"
            bad("data", f"set data or mixture, {both} (a dir written by python -m pretrain.tokenize, or several "
                "with weights)")
        if self.mixture and self.train.max_steps <= 0:
            bad("mixture", "set train.max_steps too (a mixture has no single epoch)")


# what the checkpoints depend on besides the data's content: every field but these (and the train.* fields of
# common.train_run.TRAIN_NOT_RESULTS), so a field added to the config is compared on resume unless listed here
DEPENDS_ON = AllFieldsBut({
    **TRAIN_NOT_RESULTS,
    "on_mismatch": "what to do on a mismatch", "trust_remote_code": "permission to run the model's code",
    "data": "its content is the data key", "attn_implementation": "the same attention, up to rounding",
    "init_on_rank0": "memory", "val_languages": "reporting", "export_at_end": "the export, written whole at the end",
    "export_dir": "the export, written whole at the end", "export_dtype": "the export, written whole at the end",
})
