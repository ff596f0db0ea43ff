"""The per-language stages of build_corpus after cleaning: datatrove MinHash deduplication (data_collection/corpus/dt_dedup.py),
decontamination and the output shards. Each stage is a list of units (common/run.py) that the task's Run slices,
skips when done with the same fingerprint, and runs with per-unit error capture.

Work folder per language, `<output>/_work/dedup/<lang>/`: plan.json (the cleaned shards in file order and the
digest of their content), sigs/, docs/, contaminated/, buckets/, remove/, results/ (each unit's counts).
A language's plan is a unit too, fingerprinted by ASSEMBLE_FIELDS and the benchmark files: a changed setting is a
mismatch (error, or redo). When its cleaned shards changed (an input added, changed or removed), the language's
work and outputs are removed and it is deduplicated again: the units' recorded outputs are gone, so they run again.
File i of a language is the i-th cleaned shard holding documents of it; its survivors become
`<output>/<lang>/part-<i>.parquet`.
"""

from __future__ import annotations

import fcntl
import functools
import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from datatrove.data import Document

from common.cli import UserError
from common.languages import by_code
from common.records import atomic_path, write_json, write_jsonl
from common.run import Run, Unit, digest
from common.token_count import TokenCounter, tokenizer_files
from data_collection.corpus.clean_stage import clean_unit
from data_collection.corpus.config import (
    ASSEMBLE_FIELDS,
    CLEAN_COUNTS,
    LANGUAGE_CODES,
    STAGES,
    BuildCorpusConfig,
    cleaned_path,
)
from data_collection.corpus.decontaminate import ContaminationIndex
from data_collection.corpus.dt_dedup import (
    ArrayBuckets,
    MinhashDedupFilter,
    PriorityCluster,
    PrioritySignature,
    minhash_config,
)
from data_collection.corpus.stats import add_to, new_bucket
from data_collection.shards import ShardTask, read_shard_stats


@dataclass
class LangPlan:
    lang: str
    work: Path  # _work/dedup/<lang>
    files: list[str]  # cleaned shard paths, in file-id order
    num_buckets: int
    hashes_per_bucket: int
    shingle_size: int
    source_priority: list[str]
    data: str = ""  # digest of the cleaned shards (names and fingerprints) it was planned from

    @property
    def config(self):
        return minhash_config(self.num_buckets, self.hashes_per_bucket, self.shingle_size)


def lang_table(path: str, lang: str, columns: list[str] | None = None):
    """The rows of one language in a cleaned shard, in file order, as an Arrow table (document schema)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=columns)
    return table.filter(pc.equal(table["lang"], lang))


def lang_documents(path: str, lang: str) -> Iterator[Document]:
    """The documents of one language in a cleaned shard, in file order, as datatrove Documents with their id,
    text and (in metadata["source"]) source."""
    table = lang_table(path, lang, ["id", "text", "lang", "source"])
    for batch in table.to_batches(max_chunksize=2048):
        for doc_id, text, source in zip(*(batch.column(k).to_pylist() for k in ("id", "text", "source"))):
            yield Document(text=text, id=doc_id, metadata={"source": source})


def signature_unit(plan: LangPlan, i: int, index: ContaminationIndex) -> dict:
    """MinHash signatures of file i (and which of its documents are contaminated: the units are computed once)."""
    space = by_code(plan.lang).space_delimited
    contaminated: list[dict] = []

    def inspect(first: int, docs: list[Document], unit_lists: list, hashes, offsets) -> None:
        for d, hit in sorted(index.check_batch(unit_lists, hashes, offsets, space).items()):
            contaminated.append({"index": first + d, "id": docs[d].id, "lang": plan.lang,
                                 "source": docs[d].metadata["source"], "benchmark_item": hit.benchmark_id,
                                 "ngram": hit.ngram})

    step = PrioritySignature(str(plan.work / "sigs"), plan.config, space, str(plan.work / "docs"), inspect=inspect)
    step.run(lang_documents(plan.files[i], plan.lang), rank=i)
    write_jsonl(plan.work / "contaminated" / f"{i:05d}.jsonl", contaminated)
    return {"contaminated_candidates": len(contaminated)}


def buckets_unit(plan: LangPlan, bucket: int) -> dict:
    """datatrove's bucket stage for one band (or the exact-key band): pairs of documents sharing it."""
    step = ArrayBuckets(str(plan.work / "sigs"), str(plan.work / "buckets"), config=plan.config)
    step.run(None, rank=bucket, world_size=plan.config.num_buckets)
    return {}


def cluster_unit(plan: LangPlan) -> dict:
    """Clusters of duplicates; the best member by source priority survives; removal list with reasons."""
    step = PriorityCluster(str(plan.work / "buckets"), str(plan.work / "remove"), plan.config,
                           str(plan.work / "docs"), plan.source_priority)
    step.run()
    import pyarrow.parquet as pq

    reasons = pq.read_table(plan.work / "remove" / "removed.parquet", columns=["reason"]).column("reason").to_pylist()
    return {"exact_duplicates": reasons.count("exact"), "near_duplicates": reasons.count("near")}


def filter_unit(plan: LangPlan, i: int, out_dir: Path, counter: TokenCounter) -> dict:
    """Drop file i's duplicates (datatrove's filter, over documents that carry only their index) and its
    contaminated documents; write the survivors' rows as they are (Arrow, no Python rows) and count their tokens.
    Returns the counts of this unit (docs, chars, tokens, by_source, contaminated)."""
    import pyarrow.parquet as pq

    bad = {}
    for line in (plan.work / "contaminated" / f"{i:05d}.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        bad[rec.pop("index")] = rec
    table = lang_table(plan.files[i], plan.lang)
    index_only = (Document(text="", id=str(k), metadata={"index": k}) for k in range(table.num_rows))
    survivors = [d.metadata["index"] for d in MinhashDedupFilter(str(plan.work / "remove")).run(index_only, rank=i)]
    contaminated = [bad[k] for k in survivors if k in bad]
    kept = table.take([k for k in survivors if k not in bad])
    with atomic_path(out_dir / plan.lang / f"part-{i:05d}.parquet", suffix=".parquet") as tmp:
        pq.write_table(kept, tmp)
    result = {"docs": 0, "chars": 0, "tokens": 0, "by_source": {}}
    for batch in kept.select(["text", "source"]).to_batches(max_chunksize=512):
        texts, sources = batch.column(0).to_pylist(), batch.column(1).to_pylist()
        for text, source, n_tokens in zip(texts, sources, counter.count(texts)):
            add_to(result, len(text), n_tokens)
            add_to(result["by_source"].setdefault(source, new_bucket()), len(text), n_tokens)
    write_jsonl(plan.work / "contaminated" / f"{i:05d}.kept-out.jsonl", contaminated)
    return {**result, "contaminated": len(contaminated)}


def write_removed_lists(plan: LangPlan, out_dir: Path) -> None:
    """removed/duplicates.<lang>.jsonl and removed/contaminated.<lang>.jsonl from the work folder."""
    import pyarrow.parquet as pq

    dups = pq.read_table(plan.work / "remove" / "removed.parquet").to_pylist()
    write_jsonl(out_dir / "removed" / f"duplicates.{plan.lang}.jsonl",
                [{"id": d["id"], "source": d["source"], "reason": d["reason"], "kept_id": d["kept_id"]} for d in dups])
    leaks = []
    for i in range(len(plan.files)):
        path = plan.work / "contaminated" / f"{i:05d}.kept-out.jsonl"
        leaks += [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    write_jsonl(out_dir / "removed" / f"contaminated.{plan.lang}.jsonl", leaks)


def write_plan(plan: LangPlan) -> None:
    write_json(plan.work / "plan.json", {"lang": plan.lang, "files": plan.files, "data": plan.data})


# ------------------------------------------------------------------------------------------ orchestration
@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Wait for the other tasks of an array while this one plans (flock, released when the file closes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def _reset_language(out: Path, lang: str) -> None:
    """Remove a language's work and outputs, so it is deduplicated again from its cleaned shards."""
    for stale in (out / "_work" / "dedup" / lang, out / lang):
        shutil.rmtree(stale, ignore_errors=True)
    for name in (f"duplicates.{lang}.jsonl", f"contaminated.{lang}.jsonl"):
        (out / "removed" / name).unlink(missing_ok=True)


def plan_unit(cfg: BuildCorpusConfig, plan: LangPlan) -> Unit:
    """A language's plan; its fingerprint holds the content of the benchmark files (decontamination) and of the
    tokenizer's files (token counts), so that files changed in place are not mixed with earlier work."""
    sources = [str(Path(x).resolve()) for x in (cfg.mmedbench_test, *cfg.benchmark_files) if x and Path(x).exists()]
    sources += [str(p.resolve()) for p in tokenizer_files(cfg.tokenizer)]
    return Unit(f"plan {plan.lang}", inputs=tuple(sources), key=plan.data, config=ASSEMBLE_FIELDS)


def plan_languages(cfg: BuildCorpusConfig, tasks: list[ShardTask], run: Run) -> tuple[list[LangPlan], dict[str, dict]]:
    """Per language, its cleaned shards in file order. A language whose cleaned shards changed is reset; one
    whose settings changed is a mismatch (run.is_done raises, or with redo the language is reset)."""
    out = Path(cfg.output)
    clean_stats = {t.name: read_shard_stats(cleaned_path(cfg, t)) for t in tasks}
    plans = []
    with _exclusive(out / "_work" / "dedup" / ".plan-lock"):  # the tasks of an array plan one after another
        for lang in cfg.languages or sorted(LANGUAGE_CODES):
            names = [t.name for t in tasks if clean_stats[t.name]["by_lang"].get(lang, {}).get("docs_out", 0) > 0]
            work = out / "_work" / "dedup" / lang
            plan = LangPlan(lang, work, [str(cleaned_path(cfg, t)) for t in tasks if t.name in names],
                            cfg.minhash_buckets, cfg.minhash_hashes_per_bucket, cfg.shingle_size,
                            cfg.source_priority, digest([[n, clean_stats[n]["fp"]] for n in names]))
            old = json.loads((work / "plan.json").read_text(encoding="utf-8")) if (work / "plan.json").exists() else {}
            if old and old.get("data") != plan.data:
                print(f"build_corpus: {lang}: its cleaned shards changed since it was deduplicated; doing it again")
                _reset_language(out, lang)
            unit = plan_unit(cfg, plan)
            if not run.is_done(unit):  # new, reset, or redone after a settings mismatch
                _reset_language(out, lang)
                if plan.files:
                    write_plan(plan)
                    run.mark_done(unit, outputs=[work / "plan.json"])
            if plan.files:
                plans.append(plan)
    return plans, clean_stats


def _result(plan: LangPlan, name: str) -> Path:
    return plan.work / "results" / f"{name.replace(' ', '-')}.json"


@dataclass(frozen=True)
class StageWork:
    """What one unit of a dedup stage works on: a language's plan and, per stage, a file index, a band or None."""
    stage: str
    cfg: BuildCorpusConfig
    plan: LangPlan
    part: int | None


def _stage_parts(stage: str, plan: LangPlan, cfg: BuildCorpusConfig) -> list[int | None]:
    if stage in ("signature", "filter"):
        return list(range(len(plan.files)))
    if stage == "buckets":
        return list(_buckets_wanted(cfg, plan.config.num_buckets))
    return [None]


def stage_units(stage: str, plans: list[LangPlan], cfg: BuildCorpusConfig) -> list[Unit]:
    """The units of one stage over all languages (fingerprint: the language's data digest and ASSEMBLE_FIELDS)."""
    return [Unit(f"{stage} {p.lang}" + ("" if x is None else f" {x}"), key=p.data, config=ASSEMBLE_FIELDS,
                 payload=StageWork(stage, cfg, p, x))
            for p in plans for x in _stage_parts(stage, p, cfg)]


def _signature(w: StageWork) -> tuple[dict, list[Path]]:
    cfg = w.cfg
    index = _index(cfg.mmedbench_test, tuple(cfg.benchmark_files), cfg.decontam_word_n, cfg.decontam_char_n,
                   cfg.decontam_char_min)
    return signature_unit(w.plan, w.part, index), [w.plan.work / "contaminated" / f"{w.part:05d}.jsonl"]


def _buckets(w: StageWork) -> tuple[dict, list[Path]]:
    return buckets_unit(w.plan, w.part), []


def _cluster(w: StageWork) -> tuple[dict, list[Path]]:
    return cluster_unit(w.plan), [w.plan.work / "remove" / "removed.parquet"]


def _filter(w: StageWork) -> tuple[dict, list[Path]]:
    out = Path(w.cfg.output)
    result = filter_unit(w.plan, w.part, out, _counter(w.cfg.tokenizer))
    return result, [out / w.plan.lang / f"part-{w.part:05d}.parquet"]


# what each dedup stage runs for one unit: (its counts, the files it wrote)
STAGE_RUNNERS: dict[str, Callable[[StageWork], tuple[dict, list[Path]]]] = {
    "signature": _signature, "buckets": _buckets, "cluster": _cluster, "filter": _filter}


def run_stage_unit(unit: Unit) -> dict:
    """One unit of a dedup stage (module level: it may run in a worker process); its counts go to
    results/<unit>.json, which the stats stage reads."""
    work: StageWork = unit.payload
    (work.plan.work / "buckets").mkdir(parents=True, exist_ok=True)
    result, outputs = STAGE_RUNNERS[work.stage](work)
    write_json(_result(work.plan, unit.name), result)
    flat = {k: v for k, v in result.items() if isinstance(v, int)}
    return {**flat, "outputs": [str(p) for p in (_result(work.plan, unit.name), *outputs)]}


@functools.lru_cache(maxsize=1)
def _index(test: str | None, files: tuple[str, ...], word_n: int, char_n: int, char_min: int) -> ContaminationIndex:
    from data_collection.corpus.decontaminate import build_index

    return build_index(test, list(files), word_n, char_n, char_min)


def _counter(tokenizer: str) -> TokenCounter:
    """The token counter of a tokenizer dir, built once per process while its files stay the same."""
    stamp = tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in tokenizer_files(tokenizer))
    return _cached_counter(tokenizer, stamp)


@functools.lru_cache(maxsize=1)
def _cached_counter(tokenizer: str, stamp: tuple) -> TokenCounter:
    return TokenCounter(tokenizer)


def _buckets_wanted(cfg: BuildCorpusConfig, n_buckets: int) -> list[int]:
    """Near bands only when dedup_near, the exact band only when dedup_exact (an empty band finds nothing)."""
    return [b for b in range(n_buckets) if (b == n_buckets - 1 and cfg.dedup_exact)
            or (b < n_buckets - 1 and cfg.dedup_near)]


def run_assemble(cfg: BuildCorpusConfig, tasks: list[ShardTask], run: Run) -> None:
    """Stages 2-6 (or the one named by cfg.stage) for this task; counts go to run.counts, failures to run."""
    from loguru import logger

    logger.disable("datatrove")  # its per-step INFO lines would drown our one line per stage
    missing = [t.rel for t in tasks if not run.is_done(clean_unit(cfg, t))]
    if missing:
        raise UserError(f"{cfg.output}: {len(missing)} input shard(s) not cleaned (run --stage clean for every "
                        f"task first): {', '.join(missing[:3])}")
    plans, clean_stats = plan_languages(cfg, tasks, run)
    for stage in STAGES[1:] if cfg.stage in ("all", "assemble") else (cfg.stage,):
        before = STAGES[STAGES.index(stage) - 1]
        waiting = [] if before == "clean" else [u.name for u in stage_units(before, plans, cfg) if not run.is_done(u)]
        if waiting:
            raise UserError(f"{cfg.output}: {len(waiting)} unit(s) of the {before} stage have not finished (run "
                            f"that stage for every task first): {', '.join(waiting[:3])}")
        if stage == "stats":
            if run.index == 0:  # one task writes the tables
                run.counts["assemble"] = write_corpus_stats(cfg, plans, clean_stats)
            return
        units = run.slice(stage_units(stage, plans, cfg))
        map_stage(cfg, run, stage, run_stage_unit, units)
        if run.failed:
            return


def write_corpus_stats(cfg: BuildCorpusConfig, plans: list[LangPlan], clean_stats: dict[str, dict]) -> dict:
    """removed/ lists, stats.json, stats.md (and stats.png) over all languages; returns the steps per language."""
    from data_collection.corpus.stats import write_stats

    out = Path(cfg.output)
    clean_by_lang: dict[str, dict] = {}
    for st in clean_stats.values():
        for lang, c in st["by_lang"].items():
            row = clean_by_lang.setdefault(lang, dict.fromkeys(CLEAN_COUNTS, 0))
            for k in CLEAN_COUNTS:
                row[k] += c[k]
    per_lang: dict[str, dict] = {}
    for p in plans:
        write_removed_lists(p, out)
        dups = json.loads(_result(p, f"cluster {p.lang}").read_text(encoding="utf-8"))
        v = {"docs": 0, "chars": 0, "tokens": 0, "by_source": {}, "contaminated": 0}
        for i in range(len(p.files)):
            part = json.loads(_result(p, f"filter {p.lang} {i}").read_text(encoding="utf-8"))
            for k in ("docs", "chars", "tokens", "contaminated"):
                v[k] += part[k]
            for src, b in part["by_source"].items():
                mine = v["by_source"].setdefault(src, new_bucket())
                for k in mine:
                    mine[k] += b[k]
        v["steps"] = {"exact_duplicates": dups["exact_duplicates"], "near_duplicates": dups["near_duplicates"],
                      "contaminated": v.pop("contaminated"), "docs_out": v["docs"]}
        per_lang[p.lang] = v
    for lang, c in clean_by_lang.items():
        if lang not in LANGUAGE_CODES or (cfg.languages and lang not in cfg.languages):
            continue
        v = per_lang.setdefault(lang, {"docs": 0, "chars": 0, "tokens": 0, "by_source": {},
                                       "steps": {"exact_duplicates": 0, "near_duplicates": 0, "contaminated": 0,
                                                 "docs_out": 0}})
        v["steps"] = {**{k: c[k] for k in ("docs_in", "bad_records", "too_short", "lang_mismatch", "lang_dropped")},
                      **v["steps"]}
    per_lang = {k: v for k, v in per_lang.items() if v["docs"] or any(v["steps"].values())}
    unknown = clean_by_lang.get("unknown", {}).get("bad_records", 0)
    stats = write_stats(out, per_lang, str(cfg.tokenizer), plot=cfg.plot, bad_records_unknown_language=unknown)
    print((out / "stats.md").read_text(encoding="utf-8"))
    return {lang: v["steps"] for lang, v in per_lang.items()} | {"total_tokens": stats["total_tokens"],
                                                                 "bad_records_unknown_language": unknown}


def map_stage(cfg: BuildCorpusConfig, run: Run, stage: str, fn: Callable[[Unit], dict], units: list[Unit]) -> None:
    """Run a stage's units of this task (skipping done ones, capturing failures) and say what happened."""
    failed_before = len(run.failed)
    ran = len(run.map(fn, units, workers=cfg.num_proc, context="fork"))
    failed = len(run.failed) - failed_before
    if cfg.progress:
        print(f"{stage}: {len(units)} unit(s) in this task: {ran} done now, {len(units) - ran - failed} done "
              f"before, {failed} failed", flush=True)
