"""Generation on a question set: the settings (`GenerateConfig`), the work items of a shard, the batches, the
prediction records appended as they are made, and resuming. `inference.generate` runs one task of it from the
command line; `inference.suite` runs one per (benchmark, language) with a model loaded once. The command's
docstring says what a run does and writes.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from common.cli import UserError
from common.config import bad
from common.mmedbench import load_split, question_key
from common.prompts import DEFAULT_STYLE, Mode, PromptStyle, StyleName, get_style, read_style_file
from common.questions import Question
from common.records import JsonlAppender, OnBadRecord, RejectLog, iter_jsonl
from common.run import OnMismatch, Run, digest
from common.sharding import resolve_shard_args
from inference.backends import HFBackend, ModelSpec, VLLMBackend
from inference.benchmarks import BENCHMARKS, MMLU_MEDICAL_SUBJECTS, load_benchmark
from inference.predictions import Prediction


@dataclass
class GenerateConfig:
    model: str = field(default="artifacts/tiny-llama", metadata={
        "help": "HF model dir; with `adapter`, the base model dir ('' = the adapter's base_model_name_or_path)"})
    adapter: str = field(default="", metadata={"help": "PEFT (LoRA) adapter dir, merged into the base at load"})
    data: str = field(default="samples/mmedbench/Test", metadata={"help": "MMedBench Test/ dir (<Language>.jsonl)"})
    languages: list[str] = field(default_factory=list, metadata={
        "help": "MMedBench languages (names or codes); empty = every file present"})
    modes: list[Mode] = field(default_factory=lambda: ["answer", "rationale"], metadata={
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
    prompt_style: Literal["", StyleName] = field(default="", metadata={
        "help": f"prompt format (common/prompts.py); '' = the one recorded in the adapter/model dir by our "
                f"fine-tuning, else {DEFAULT_STYLE} (the authors' format, which the released MMed models need)"})
    scoring: Literal["generate", "loglik"] = field(default="generate", metadata={
        "help": "generate (parse the generated answer) or loglik (best option by log-likelihood; answer mode, "
                "single-answer questions)"})
    backend: Literal["hf", "vllm"] = field(default="hf", metadata={"help": "vllm: pip install 'mmed[vllm]', GPU"})
    batch_size: int = field(default=16, metadata={
        "help": "prompts per batch (hf), option sequences per batch (loglik), prompts sent at once (vllm: use ~1024)"})
    max_new_tokens: int = field(default=512, metadata={"help": "generation length limit (answer mode needs ~20)"})
    max_prompt_tokens: int = field(default=0, metadata={
        "help": "longer prompts are rejected into rejects.jsonl (0 = the model's context minus max_new_tokens)"})
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = field(default="auto", metadata={
        "help": "auto: bf16 on GPU, fp32 on CPU"})
    device: str = field(default="auto", metadata={"help": "auto (CUDA if present) | cpu | cuda | cuda:N"})
    cpu_threads: int = field(default=0, metadata={
        "help": "torch CPU threads (0 = torch's default); 1 is fastest on a busy shared CPU"})
    trust_remote_code: bool = field(default=False, metadata={"help": "allow model code from the model dir"})
    device_map: Literal["", "auto", "balanced", "balanced_low_0", "sequential"] = field(default="", metadata={
        "help": "hf, models too big for one device: accelerate places layers over the GPUs, then CPU, then "
                "offload_folder; '' = the whole model on `device`"})
    max_memory: dict[str, str] = field(default_factory=dict, metadata={
        "help": "hf with device_map: memory cap per device, e.g. {\"0\": \"70GiB\", \"cpu\": \"200GiB\"}"})
    offload_folder: str = field(default="", metadata={"help": "hf with device_map: folder for layers offloaded "
                                                                 "to disk"})
    tensor_parallel_size: int = field(default=1, metadata={"help": "vllm: GPUs per model"})
    gpu_memory_utilization: float = field(default=0.9, metadata={"help": "vllm: fraction of GPU memory"})
    max_model_len: int = field(default=0, metadata={"help": "vllm: context length (0 = the model's)"})
    limit: int = field(default=0, metadata={"help": "first N questions per language/benchmark (0 = all)"})
    output: str = field(default="outputs/predictions", metadata={"help": "where predictions*.jsonl go"})
    shard_index: int = field(default=-1, metadata={"help": "this shard (-1 = SLURM_ARRAY_TASK_ID or 0)"})
    num_shards: int = field(default=0, metadata={"help": "shards in all (0 = SLURM_ARRAY_TASK_COUNT or 1)"})
    on_bad_record: OnBadRecord = field(default="error", metadata={"help": "skip: into rejects.jsonl"})
    on_mismatch: OnMismatch = field(default="error", metadata={
        "help": "output holds predictions made with other settings or for other data: error, or redo (delete "
                "this shard's predictions and make them again)"})
    progress: bool = field(default=True, metadata={"help": "show a progress bar"})

    def validate(self) -> None:
        if not self.modes:
            bad("modes", "give answer, rationale or both")
        if self.scoring == "loglik" and self.modes != ["answer"]:
            bad("modes", "scoring=loglik scores answer lines only: set --modes answer")
        if self.scoring == "loglik" and self.backend != "hf":
            bad("backend", "scoring=loglik needs backend hf")
        if self.benchmark and not self.benchmark_path:
            bad("benchmark_path", f"benchmark={self.benchmark} needs it")
        if self.device_map == "" and (self.max_memory or self.offload_folder):
            bad("device_map", "max_memory and offload_folder need it (e.g. device_map: auto)")
        for name, least in (("batch_size", 1), ("max_new_tokens", 1), ("max_prompt_tokens", 0), ("limit", 0)):
            if getattr(self, name) < least:
                bad(name, f"must be >= {least}, got {getattr(self, name)}")


@dataclass(frozen=True)
class WorkItem:
    question: Question
    mode: str
    prompt: str

    @property
    def key(self) -> tuple[str, str]:
        """(question, mode): the question by its content, not its line (common.mmedbench.question_key)."""
        return question_key(self.question.id), self.mode


def resolve_shard(cfg: GenerateConfig) -> tuple[int, int]:
    return resolve_shard_args(cfg.shard_index if cfg.shard_index >= 0 else None, cfg.num_shards or None)


def predictions_path(output_dir: str | Path, index: int, num: int) -> Path:
    name = "predictions.jsonl" if num == 1 else f"predictions-{index:05d}-of-{num:05d}.jsonl"
    return Path(output_dir) / name


def check_config(cfg: GenerateConfig) -> None:
    """The device, and damaged or pickled model/adapter files, as one line before the folder is touched (the
    settings themselves were checked when the config was loaded: GenerateConfig.validate)."""
    from common.model_files import check_adapter_files, check_model_files
    from inference.backends import resolve_device

    resolve_device(cfg.device)
    if cfg.adapter:
        check_adapter_files(cfg.adapter)
    if cfg.model and (Path(cfg.model) / "config.json").is_file():  # a missing one is named when loading
        check_model_files(cfg.model)


def load_questions(cfg: GenerateConfig, rejects: RejectLog) -> list[Question]:
    if cfg.benchmark:
        questions = load_benchmark(cfg.benchmark, cfg.benchmark_path, cfg.on_bad_record, rejects,
                                   mmlu_subjects=cfg.mmlu_subjects, medmcqa_cop_base=cfg.medmcqa_cop_base,
                                   pubmedqa_ids_file=cfg.pubmedqa_ids_file)
        group = (lambda q: q.benchmark)  # noqa: E731
    else:
        questions = load_split(cfg.data, cfg.languages or None, cfg.on_bad_record, rejects)
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
    """(question key, mode) of the predictions in `path`; a record that is not one names its file and line."""
    if not path.exists():
        return set()
    return {Prediction.from_json(obj, where).key for where, obj in iter_jsonl(path)}


def prediction_record(item: WorkItem, output: str, prompt_style: str) -> Prediction:
    return Prediction.from_question(item.question, item.mode, item.prompt, output, prompt_style)


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


def generate_batch(backend, batch: Sequence[WorkItem], cfg: GenerateConfig, style: PromptStyle) -> list[str]:
    """Outputs of one batch: generated text, or the answer line of the option loglik prefers."""
    if cfg.scoring == "loglik":
        from inference.loglik import loglik_choose

        choices = loglik_choose(backend.model, backend.tokenizer, [it.prompt for it in batch],
                                [sorted(it.question.options) for it in batch], cfg.batch_size, backend.device, style)
        return [style.answer_line([best]) for best, _ in choices]
    return backend.generate([it.prompt for it in batch])


def run_generation(backend, items: Sequence[WorkItem], cfg: GenerateConfig, out: JsonlAppender, run: Run,
                   lengths: Sequence[int], progress: bool = True) -> int:
    """Generate (or loglik-score) `items` batch by batch, appending each batch's records. A batch that fails is
    retried one item at a time, so one bad item fails alone (recorded by `run`). Returns the count written."""
    from common.progress import progress_bar

    style = get_style(cfg.prompt_style)
    bar = progress_bar(total=len(items), unit="q", disable=not progress, desc="generate")  # plain lines in a log
    t0, written = time.monotonic(), 0
    for batch in batches(items, lengths, cfg.batch_size):
        try:
            done = list(zip(batch, generate_batch(backend, batch, cfg, style), strict=True))
        except Exception as err:  # noqa: BLE001 - find the item that fails; the others are still written
            print(f"inference.generate: a batch failed ({type(err).__name__}: {err}); retrying its items one by one",
                  file=sys.stderr)
            done = []
            for item in batch:
                with run.capture(f"{item.question.where or item.question.id} ({item.mode})"):
                    done.append((item, generate_batch(backend, [item], cfg, style)[0]))
        for item, output in done:
            out.write(prediction_record(item, output, style.name).to_json())
        written += len(done)
        bar.update(len(batch))
        bar.set_postfix(samples_per_s=f"{written / max(time.monotonic() - t0, 1e-9):.2f}")
    bar.close()
    return written


# what a prediction depends on: resuming into a folder written with other values would mix two runs
PREDICTION_DEPENDS_ON = ("model", "adapter", "prompt_style", "scoring", "max_new_tokens", "backend")


def prompt_limit(backend, cfg: GenerateConfig) -> int | None:
    """Most prompt tokens: max_prompt_tokens, else the model's context minus max_new_tokens (None: unknown)."""
    if cfg.max_prompt_tokens:
        return cfg.max_prompt_tokens
    model_cfg = getattr(getattr(backend, "model", None), "config", None)
    context = getattr(model_cfg, "max_position_embeddings", None)
    if context is None and hasattr(backend, "llm"):  # vLLM
        context = backend.llm.llm_engine.model_config.max_model_len
    return max(1, int(context) - (cfg.max_new_tokens if cfg.scoring == "generate" else 0)) if context else None


def reject_too_long(backend, items: list[WorkItem], cfg: GenerateConfig, rejects: RejectLog
                    ) -> tuple[list[WorkItem], list[int]]:
    """Items whose prompt fits the model, with their token lengths; the others go to `rejects` with file:line.
    A prompt of more than 64 characters per allowed token is rejected without tokenizing it (a 5 MB question)."""
    limit = prompt_limit(backend, cfg)
    if limit is None:
        return list(items), backend.prompt_lengths([it.prompt for it in items])
    short = [k for k, it in enumerate(items) if len(it.prompt) <= 64 * limit]
    size = {k: f"{len(it.prompt)} characters" for k, it in enumerate(items)}
    tokens = dict(zip(short, backend.prompt_lengths([items[k].prompt for k in short]) if short else [], strict=True))
    size.update({k: f"{n} tokens" for k, n in tokens.items()})
    kept = [k for k in short if tokens[k] <= limit]
    for k in sorted(set(range(len(items))) - set(kept)):
        it = items[k]
        rejects.add(it.question.where or it.question.id,
                    f"prompt of {size[k]} is longer than the limit of {limit} tokens (max_prompt_tokens, or the "
                    f"model's context minus max_new_tokens) ({it.mode} mode)", {"id": it.question.id})
    return [items[k] for k in kept], [tokens[k] for k in kept]


def check_same_data(done: set[tuple[str, str]], questions: Sequence[Question]) -> list[str]:
    """Predicted questions that are not in the data (another data set, or questions since changed)."""
    wanted = {question_key(q.id) for q in questions}
    return sorted({key for key, _mode in done if key not in wanted})


def generate_task(cfg: GenerateConfig, run: Run, backend=None) -> None:
    """`backend`: a model already loaded for these settings (inference.suite asks many data sets with one)."""
    out_dir = Path(cfg.output)
    # data: every (question, mode) of this shard (a question's modes stay together)
    rejects = RejectLog(out_dir / f"rejects{run.tag}.jsonl")
    questions = load_questions(cfg, rejects)
    mine = [q for q in questions if run.owns(question_key(q.id))]
    items = work_items(mine, cfg.modes, get_style(cfg.prompt_style))
    path = predictions_path(out_dir, run.index, run.num)
    run.guard([path], data=digest(sorted(q.id for q in mine)))

    # resume: what is done, provided it was made for these questions
    out = JsonlAppender(path)  # opening repairs a torn last line before we read what is done
    done = done_keys(path)
    if stale := check_same_data(done, mine):
        if cfg.on_mismatch == "error":
            out.close()
            raise UserError(f"{path} holds predictions for {len(stale)} question(s) that are not in the data "
                            f"(e.g. {stale[0]}): other data, or changed questions; use another output folder, or "
                            "--on_mismatch redo to delete this shard's predictions and start again")
        print(f"inference.generate: {len(stale)} predicted questions are not in the data: redoing {path}",
              file=sys.stderr)
        out.close()
        path.unlink()
        out, done = JsonlAppender(path), set()
    todo = [it for it in items if it.key not in done]
    with out:
        if cfg.scoring == "loglik":
            multi = sum(1 for it in todo if it.question.is_multi_answer)
            if multi:
                print(f"warning: {multi} multi-answer questions are scored with one letter by loglik "
                      "(always wrong); use scoring: generate for them")
        print(f"shard {run.index}/{run.num}: {len(questions)} questions, {len(items)} (question, mode) items in "
              f"this shard, {len(items) - len(todo)} already done, {len(todo)} to do -> {path}")
        written, too_long = 0, 0
        if todo:
            backend = backend if backend is not None else make_backend(cfg)
            before = rejects.count
            fits, lengths = reject_too_long(backend, todo, cfg, rejects)
            too_long = rejects.count - before
            written = run_generation(backend, fits, cfg, out, run, lengths, cfg.progress)
    stale_rejects = out_dir / f"rejects{run.tag}.jsonl"
    if not rejects.count and stale_rejects.exists():
        stale_rejects.unlink()  # every run rereads all its input, so an old list is out of date
    rejects.close()
    run.counts.update({"questions": len(questions), "items": len(items), "skipped_done": len(items) - len(todo),
                       "written": written, "rejected": rejects.count, "rejected_too_long": too_long})
    print(f"in: {len(questions)} questions ({rejects.count - too_long} rejected); out: {written} new predictions "
          f"({len(items) - len(todo)} were already done, {too_long} prompts too long for the model, "
          f"{len(run.failed)} failed) in {path}")

