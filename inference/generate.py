"""Generate answers (and rationales) on MMedBench `Test/` or an English benchmark; write predictions JSONL.

    python -m inference.generate --config configs/inference/tiny.yaml
    python -m inference.generate --model /models/MMed-Llama-3-8B --data MMedBench/Test --modes answer,rationale \\
        --output_dir outputs/mmed-llama3 --batch_size 32 --dtype bfloat16
    python -m inference.generate --model /models/llama3 --adapter outputs/lora --benchmark medqa \\
        --benchmark_path data/medqa/test.jsonl --scoring loglik --output_dir outputs/medqa
    sbatch --array=0-7 scripts/slurm/generate.sbatch configs/inference/<name>.yaml   # 8 shards

Prompts come from the prompt style (common.prompts) the model was fine-tuned with. Records (DESIGN.md): id, language,
mode, options, gold_answer, gold_rationale, human_check_passed, prompt, output (English benchmark records also
carry `benchmark`). They are appended and fsynced one batch at a time; a rerun skips the (id, mode) pairs already
in the file, so a killed job continues where it stopped. With `--num_shards N` (default: SLURM_ARRAY_TASK_COUNT)
shard i writes predictions-<i>-of-<N>.jsonl; `inference.evaluate` reads the whole folder.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from common.config import load_config
from common.manifest import RunManifest
from common.mmedbench import load_split
from common.prompts import DEFAULT_STYLE, MODES, STYLES, PromptStyle, get_style, read_style_file
from common.records import JsonlAppender, RejectLog, iter_jsonl
from common.sharding import resolve_shard_args
from inference.backends import HFBackend, ModelSpec, VLLMBackend
from inference.benchmarks import BENCHMARKS, MMLU_MEDICAL_SUBJECTS, Question, load_benchmark


@dataclass
class GenerateConfig:
    model: str = field(default="artifacts/tiny-llama", metadata={
        "help": "HF model dir; with `adapter`, the base model dir ('' = the adapter's base_model_name_or_path)"})
    adapter: str = field(default="", metadata={"help": "PEFT (LoRA) adapter dir, merged into the base at load"})
    data: str = field(default="samples/mmedbench/Test", metadata={"help": "MMedBench Test/ dir (<Language>.jsonl)"})
    languages: list[str] = field(default_factory=list, metadata={
        "help": "MMedBench languages (names or codes); empty = every file present"})
    modes: list[str] = field(default_factory=lambda: ["answer", "rationale"], metadata={
        "help": "answer and/or rationale (the two prompt kinds of fine-tuning)"})
    benchmark: str = field(default="", metadata={
        "help": f"English benchmark instead of MMedBench: {'|'.join(BENCHMARKS)} (with benchmark_path)"})
    benchmark_path: str = field(default="", metadata={
        "help": "the benchmark's file (MedQA JSONL, MedMCQA JSON lines, PubMedQA ori_pqal.json) or MMLU dir"})
    mmlu_subjects: list[str] = field(default_factory=lambda: list(MMLU_MEDICAL_SUBJECTS), metadata={
        "help": "MMLU subjects to load (default: the six medical ones)"})
    medmcqa_cop_base: int = field(default=1, metadata={
        "help": "MedMCQA `cop` numbering: 1 (original files, 1..4) or 0 (HF copy, 0..3)"})
    pubmedqa_ids_file: str = field(default="", metadata={
        "help": "PubMedQA: keep only these PMIDs (test_ground_truth.json = the 500 test questions); '' = all"})
    prompt_style: str = field(default="", metadata={
        "help": f"prompt format ({' | '.join(STYLES)}); '' = the one recorded in the adapter/model dir by our "
                f"fine-tuning, else {DEFAULT_STYLE} (the authors' format, which the released MMed models need)"})
    scoring: str = field(default="generate", metadata={
        "help": "generate (parse the generated answer) | loglik (best option by log-likelihood; answer mode, "
                "single-answer questions)"})
    backend: str = field(default="hf", metadata={"help": "hf | vllm (pip install 'mmed[vllm]', GPU)"})
    batch_size: int = field(default=16, metadata={
        "help": "prompts per batch (hf), option sequences per batch (loglik), prompts sent at once (vllm: use ~1024)"})
    max_new_tokens: int = field(default=512, metadata={"help": "generation length limit (answer mode needs ~20)"})
    dtype: str = field(default="auto", metadata={"help": "auto (bf16 on GPU, fp32 on CPU) | float32 | bfloat16 | "
                                                          "float16"})
    device: str = field(default="auto", metadata={"help": "auto (CUDA if present) | cpu | cuda | cuda:N"})
    cpu_threads: int = field(default=0, metadata={
        "help": "torch CPU threads (0 = torch's default); 1 is fastest on a busy shared CPU"})
    trust_remote_code: bool = field(default=False, metadata={"help": "allow model code from the model dir"})
    device_map: str = field(default="", metadata={
        "help": "hf, models too big for one device: auto | balanced | sequential (accelerate places layers over "
                "the GPUs, then CPU, then offload_folder); '' = the whole model on `device`"})
    max_memory: dict[str, str] = field(default_factory=dict, metadata={
        "help": "hf with device_map: memory cap per device, e.g. {\"0\": \"70GiB\", \"cpu\": \"200GiB\"}"})
    offload_folder: str = field(default="", metadata={"help": "hf with device_map: folder for layers offloaded "
                                                                 "to disk"})
    tensor_parallel_size: int = field(default=1, metadata={"help": "vllm: GPUs per model"})
    gpu_memory_utilization: float = field(default=0.9, metadata={"help": "vllm: fraction of GPU memory"})
    max_model_len: int = field(default=0, metadata={"help": "vllm: context length (0 = the model's)"})
    limit: int = field(default=0, metadata={"help": "first N questions per language/benchmark (0 = all)"})
    output_dir: str = field(default="outputs/predictions", metadata={"help": "where predictions*.jsonl go"})
    shard_index: int = field(default=-1, metadata={"help": "this shard (-1 = SLURM_ARRAY_TASK_ID or 0)"})
    num_shards: int = field(default=0, metadata={"help": "shards in all (0 = SLURM_ARRAY_TASK_COUNT or 1)"})
    on_bad_record: str = field(default="error", metadata={"help": "error | skip (into rejects.jsonl)"})
    progress: bool = field(default=True, metadata={"help": "show a progress bar"})


@dataclass(frozen=True)
class WorkItem:
    question: Question
    mode: str
    prompt: str

    @property
    def key(self) -> tuple[str, str]:
        return self.question.id, self.mode


def resolve_shard(cfg: GenerateConfig) -> tuple[int, int]:
    return resolve_shard_args(cfg.shard_index if cfg.shard_index >= 0 else None, cfg.num_shards or None)


def predictions_path(output_dir: str | Path, index: int, num: int) -> Path:
    name = "predictions.jsonl" if num == 1 else f"predictions-{index:05d}-of-{num:05d}.jsonl"
    return Path(output_dir) / name


def check_config(cfg: GenerateConfig) -> None:
    bad_modes = [m for m in cfg.modes if m not in MODES]
    if bad_modes or not cfg.modes:
        raise ValueError(f"modes must be a non-empty list of {MODES}, got {cfg.modes}")
    if cfg.scoring not in ("generate", "loglik"):
        raise ValueError(f"scoring must be generate or loglik, got {cfg.scoring!r}")
    if cfg.scoring == "loglik" and cfg.modes != ["answer"]:
        raise ValueError("scoring=loglik scores answer lines only: set --modes answer")
    if cfg.scoring == "loglik" and cfg.backend != "hf":
        raise ValueError("scoring=loglik needs backend: hf")
    if cfg.backend not in ("hf", "vllm"):
        raise ValueError(f"backend must be hf or vllm, got {cfg.backend!r}")
    if cfg.benchmark and not cfg.benchmark_path:
        raise ValueError(f"benchmark={cfg.benchmark} needs benchmark_path")
    if cfg.batch_size < 1:
        raise ValueError("batch_size must be >= 1")


def load_questions(cfg: GenerateConfig, rejects: RejectLog) -> list[Question]:
    if cfg.benchmark:
        questions = load_benchmark(cfg.benchmark, cfg.benchmark_path, cfg.on_bad_record, rejects,
                                   mmlu_subjects=cfg.mmlu_subjects, medmcqa_cop_base=cfg.medmcqa_cop_base,
                                   pubmedqa_ids_file=cfg.pubmedqa_ids_file)
        group = (lambda q: q.benchmark)  # noqa: E731
    else:
        records = load_split(cfg.data, cfg.languages or None, cfg.on_bad_record, rejects)
        questions = [Question.from_mmedbench(r) for r in records]
        group = (lambda q: q.language)  # noqa: E731
    if cfg.limit:
        seen: Counter = Counter()
        kept = []
        for q in questions:
            seen[group(q)] += 1
            if seen[group(q)] <= cfg.limit:
                kept.append(q)
        questions = kept
    return questions


def work_items(questions: Iterable[Question], modes: Sequence[str], style: PromptStyle) -> list[WorkItem]:
    return [WorkItem(q, mode, style.build_prompt(q.question, q.options, q.language, mode))
            for q in questions for mode in modes]


def resolve_prompt_style(cfg: GenerateConfig) -> str:
    """The configured style, or the one our fine-tuning recorded in the adapter/model dir, or the default.
    A configured style that differs from the recorded one is allowed (a deliberate ablation) but said loudly:
    a model asked in a format it was not taught answers at chance, which looks like a broken model."""
    recorded = None
    for folder in (cfg.adapter, cfg.model):
        if folder and (recorded := read_style_file(folder)):
            break
    if not cfg.prompt_style:
        style = recorded or DEFAULT_STYLE
        print(f"prompt_style: {style} ({'recorded in the model dir' if recorded else 'default; the model dir records none'})")
        return style
    get_style(cfg.prompt_style)
    if recorded and recorded != cfg.prompt_style:
        print(f"warning: the model was fine-tuned with prompt_style {recorded} but is asked with {cfg.prompt_style}; "
              "expect answers in the wrong format (docs/inference.md, 'Prompt styles')")
    return cfg.prompt_style


def done_keys(path: Path) -> set[tuple[str, str]]:
    if not path.exists():
        return set()
    return {(rec["id"], rec["mode"]) for _, rec in iter_jsonl(path)}


def prediction_record(item: WorkItem, output: str, prompt_style: str) -> dict:
    q = item.question
    rec = {"id": q.id, "language": q.language, "mode": item.mode, "options": q.options,
           "gold_answer": q.answer, "gold_rationale": q.rationale, "human_check_passed": q.human_check_passed,
           "prompt": item.prompt, "output": output, "prompt_style": prompt_style}
    if q.benchmark:
        rec["benchmark"] = q.benchmark
    return rec


def make_backend(cfg: GenerateConfig):
    if cfg.cpu_threads:
        import torch

        torch.set_num_threads(cfg.cpu_threads)
    spec = ModelSpec(model=cfg.model, adapter=cfg.adapter, dtype=cfg.dtype, device=cfg.device,
                     trust_remote_code=cfg.trust_remote_code, device_map=cfg.device_map,
                     max_memory=cfg.max_memory, offload_folder=cfg.offload_folder)
    if cfg.backend == "vllm":
        return VLLMBackend(spec, cfg.max_new_tokens, cfg.tensor_parallel_size, cfg.gpu_memory_utilization,
                           cfg.max_model_len)
    return HFBackend(spec, cfg.max_new_tokens)


def batches(items: Sequence[WorkItem], lengths: Sequence[int], batch_size: int) -> Iterator[list[WorkItem]]:
    """One mode per batch (a short answer-mode row would otherwise wait for long rationale-mode rows), longest
    prompts first (an out-of-memory shows at once), similar lengths together (little padding)."""
    order = sorted(range(len(items)), key=lambda i: (items[i].mode, -lengths[i], items[i].key))
    for start in range(0, len(order), batch_size):
        yield [items[i] for i in order[start:start + batch_size]]


def run_generation(backend, items: Sequence[WorkItem], cfg: GenerateConfig, out: JsonlAppender,
                   progress: bool = True) -> int:
    style = get_style(cfg.prompt_style)
    """Generate (or loglik-score) `items` batch by batch, appending each batch's records. Returns the count."""
    from tqdm import tqdm

    lengths = backend.prompt_lengths([it.prompt for it in items])
    bar = tqdm(total=len(items), unit="q", disable=not progress, desc="generate")
    t0, written = time.monotonic(), 0
    for batch in batches(items, lengths, cfg.batch_size):
        if cfg.scoring == "loglik":
            from inference.loglik import loglik_choose

            choices = loglik_choose(backend.model, backend.tokenizer, [it.prompt for it in batch],
                                    [sorted(it.question.options) for it in batch], cfg.batch_size, backend.device,
                                    style)
            outputs = [style.answer_line([best]) for best, _ in choices]
        else:
            outputs = backend.generate([it.prompt for it in batch])
        for item, output in zip(batch, outputs, strict=True):
            out.write(prediction_record(item, output, style.name))
        written += len(batch)
        bar.update(len(batch))
        bar.set_postfix(samples_per_s=f"{written / max(time.monotonic() - t0, 1e-9):.2f}")
    bar.close()
    return written


# what a prediction depends on: resuming into a folder written with other values would mix two runs
_RESUME_KEYS = ("model", "adapter", "scoring", "max_new_tokens", "prompt_style")


def check_resume_compatible(cfg: GenerateConfig, out_dir: Path) -> None:
    previous = out_dir / "config.yaml"
    if not previous.exists() or not any(out_dir.glob("predictions*.jsonl")):
        return
    from common.config import read_yaml

    old = read_yaml(previous)
    changed = [k for k in _RESUME_KEYS if k in old and old[k] != getattr(cfg, k)]
    if changed:
        raise ValueError(f"{out_dir} holds predictions made with other {', '.join(changed)} "
                         f"({', '.join(f'{k}={old[k]!r}' for k in changed)}); use a new output_dir")


def main(argv: list[str] | None = None) -> None:
    cfg = load_config(GenerateConfig, argv, description=__doc__, prog="python -m inference.generate")
    check_config(cfg)
    cfg.prompt_style = resolve_prompt_style(cfg)
    index, num = resolve_shard(cfg)
    out_dir = Path(cfg.output_dir)
    check_resume_compatible(cfg, out_dir)
    manifest = RunManifest("inference.generate", out_dir, cfg)

    # data: every (question, mode), this shard's share, minus what a previous run wrote
    rejects = RejectLog(out_dir / (f"rejects-{index:05d}.jsonl" if num > 1 else "rejects.jsonl"))
    questions = load_questions(cfg, rejects)
    # shard by question (both modes of a question together), so every shard gets the same mix of short
    # answer-mode and long rationale-mode items
    items = work_items([q for k, q in enumerate(questions) if k % num == index], cfg.modes,
                       get_style(cfg.prompt_style))
    path = predictions_path(out_dir, index, num)
    with JsonlAppender(path) as out:  # opening repairs a torn last line before we read what is done
        done = done_keys(path)
        todo = [it for it in items if it.key not in done]
        if cfg.scoring == "loglik":
            multi = sum(1 for it in todo if len(it.question.answer) > 1)
            if multi:
                print(f"warning: {multi} multi-answer questions are scored with one letter by loglik "
                      "(always wrong); use scoring: generate for them")
        print(f"shard {index}/{num}: {len(questions)} questions, {len(items)} (question, mode) items in this "
              f"shard, {len(items) - len(todo)} already done, {len(todo)} to do -> {path}")
        written = 0
        if todo:
            backend = make_backend(cfg)
            written = run_generation(backend, todo, cfg, out, cfg.progress)
    rejects.close()
    counts = {"questions": len(questions), "items": len(items), "skipped_done": len(items) - len(todo),
              "written": written, "rejected": rejects.count}
    manifest.finish(counts=counts, name="manifest.json" if num == 1 else f"manifest-{index:05d}.json")
    print(f"in: {len(questions)} questions ({rejects.count} rejected); out: {written} new predictions "
          f"({len(items) - len(todo)} were already done) in {path}")


if __name__ == "__main__":
    main()
