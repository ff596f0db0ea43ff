"""Merge a LoRA adapter into its base model and write a plain HF model dir (safetensors).

    python -m finetune.merge --base artifacts/tiny-llama --adapter outputs/demo/finetune_lora/adapter \\
        --output outputs/demo/finetune_lora/merged

The merged model gives the same outputs as base + adapter (up to float rounding) and loads with
`AutoModelForCausalLM.from_pretrained` alone, e.g. for vLLM. That is checked: the largest logit difference between
base + adapter and the merged model on a few prompts is printed and kept in `merge_check.json`, and above
`max_logit_diff` the merge is refused with one line (a bf16/fp16 merge rounds the merged weights: merge in fp32). The tokenizer is copied from the adapter dir when it
has one (finetune.run saves it there), else from the base.

A rerun into the same `output` with the same base, adapter (its files' content) and dtype does nothing; with others
it stops with one line naming what changed, or with `--on_mismatch redo` deletes the old merge first. The folder
is locked while it is written; the manifest is written also when the merge fails.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from common.cli import UserError, cli
from common.config import bad, load_config
from common.prompts import read_style_file, write_style_file
from common.run import OnMismatch, Run, Unit

DEPENDS_ON = ("base", "dtype")  # with the adapter's files (the unit's inputs), what the merged weights depend on


@dataclass
class MergeConfig:
    base: str = field(default="", metadata={"help": "base HF model dir the adapter was trained on"})
    adapter: str = field(default="", metadata={"help": "PEFT adapter dir (adapter_config.json + weights)"})
    output: str = field(default="", metadata={"help": "output HF model dir"})
    dtype: Literal["auto", "bf16", "fp16", "fp32"] = field(default="auto", metadata={
        "help": "dtype of the merged weights (auto = as stored in the base)"})
    trust_remote_code: bool = field(default=False, metadata={"help": "allow model code from the base dir "
                                                                     "(InternLM2)"})
    on_mismatch: OnMismatch = field(default="error", metadata={
        "help": "output holds a merge of another base, adapter or dtype: error, or redo (delete it, merge again)"})
    max_logit_diff: float = field(default=0.05, metadata={
        "help": "refuse the merge when the merged model's logits differ from base + adapter by more than this on "
                "the check prompts (0 = no check); bf16/fp16 merges round the merged weights: --dtype fp32"})

    def validate(self) -> None:
        for name in ("base", "adapter", "output"):
            if not getattr(self, name):
                bad(name, f"not set (--{name} is required)")
        if self.max_logit_diff < 0:
            bad("max_logit_diff", f"must be 0 (no check) or positive, got {self.max_logit_diff}")


def _torch_dtype(name: str):
    import torch

    return {"auto": "auto", "bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[name]


def check_merge_config(cfg: MergeConfig) -> None:
    from common.model_files import check_adapter_files, check_model_files

    if not (Path(cfg.base) / "config.json").exists():
        raise FileNotFoundError(f"base model not found (no config.json): {cfg.base}")
    check_model_files(cfg.base)  # damaged or pickled weights, a broken config.json: one line naming the file
    check_adapter_files(cfg.adapter)


def merge_adapter(cfg: MergeConfig, out: Path | None = None) -> Path:
    """Merge into `out` (default cfg.output; main gives a staging folder, so a failed merge leaves no half model)."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    check_merge_config(cfg)
    base_dir, adapter_dir, out = Path(cfg.base), Path(cfg.adapter), Path(out or cfg.output)

    base = AutoModelForCausalLM.from_pretrained(base_dir, dtype=_torch_dtype(cfg.dtype),
                                                trust_remote_code=cfg.trust_remote_code)
    tok_dir = adapter_dir if (adapter_dir / "tokenizer_config.json").exists() else base_dir
    tokenizer = AutoTokenizer.from_pretrained(tok_dir, trust_remote_code=cfg.trust_remote_code)
    with_adapter = PeftModel.from_pretrained(base, adapter_dir).eval()
    expected = check_logits(with_adapter, tokenizer)
    merged = with_adapter.merge_and_unload()
    diff = float((check_logits(merged, tokenizer) - expected).abs().max())
    print(f"largest logit difference between base + adapter and the merged model on {len(CHECK_PROMPTS)} "
          f"prompts: {diff:.3g}")
    if cfg.max_logit_diff > 0 and not diff <= cfg.max_logit_diff:
        raise UserError(f"the merged model's logits differ from base + adapter by up to {diff:.3g} on "
                        f"{len(CHECK_PROMPTS)} check prompts, above max_logit_diff {cfg.max_logit_diff:g}: merging "
                        f"in {cfg.dtype} rounds the merged weights (the usual cause); merge with --dtype fp32, or "
                        "raise --max_logit_diff")
    out.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(out, safe_serialization=True)
    (out / "merge_check.json").write_text(json.dumps({"prompts": CHECK_PROMPTS, "max_logit_diff": diff}),
                                          encoding="utf-8")
    tokenizer.save_pretrained(out)
    style = read_style_file(adapter_dir) or read_style_file(base_dir)
    if style:  # the merged model is asked in the format its adapter was taught
        write_style_file(out, style)
    return out


# short medical prompts in the six MMedBench languages: the merge is checked where the adapter was trained
CHECK_PROMPTS = ["Which organ produces insulin?", "¿Qué fármaco es de elección en la anafilaxia?",
                 "Quel est le traitement de première intention de l'hypertension ?", "胰岛素由哪个器官分泌？",
                 "インスリンを分泌する臓器はどれか。", "Какой орган вырабатывает инсулин?"]


def check_logits(model, tokenizer):
    """The model's fp32 logits on CHECK_PROMPTS, one prompt at a time (no padding to differ)."""
    import torch

    device = next(model.parameters()).device
    with torch.no_grad():
        return torch.cat([model(**tokenizer(text, return_tensors="pt").to(device)).logits[0].float()
                          for text in CHECK_PROMPTS])


def adapter_unit(cfg: MergeConfig) -> Unit:
    """The merge as one unit: its inputs are the adapter's files (weights, config, tokenizer, prompt style)."""
    files = sorted(str(p) for p in Path(cfg.adapter).iterdir() if p.is_file())
    return Unit("merge", inputs=tuple(files))


def main(argv: list[str] | None = None) -> int:
    cfg = load_config(MergeConfig, argv, description=__doc__, prog="python -m finetune.merge")
    check_merge_config(cfg)
    unit = adapter_unit(cfg)
    with Run("finetune.merge", cfg.output, cfg, depends_on=DEPENDS_ON, on_mismatch=cfg.on_mismatch) as run:
        if run.is_done(unit):
            print(f"{cfg.output}: already holds this merge of {cfg.adapter} into {cfg.base}")
            return run.exit_code
        with run.outputs() as stage:  # the merged model replaces the folder's files whole, or not at all
            merge_adapter(cfg, stage)
            files = sorted(p.name for p in stage.iterdir() if p.is_file())
        run.mark_done(unit, {"files": len(files)}, outputs=files)
        run.extra.update(base=cfg.base, adapter=cfg.adapter)
        print(f"merged {cfg.adapter} into {cfg.base}: wrote {cfg.output}")
    return run.exit_code


if __name__ == "__main__":
    sys.exit(cli(main, "python -m finetune.merge"))
