"""The per-language stages of build_corpus after cleaning: datatrove MinHash deduplication (data_collection/dt_dedup.py),
decontamination and the output shards. Each function does one unit of work and returns its counts; build_corpus
decides which units run in this task and marks them done.

Work folder per language, `<output>/_work/dedup/<lang>/`: plan.json (the cleaned shards in file order and the
fingerprint of everything the output depends on), sigs/, docs/, contaminated/, buckets/, remove/, done/.
File i of a language is the i-th cleaned shard holding documents of it; its survivors become
`<output>/<lang>/part-<i>.parquet`.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from datatrove.data import Document

from common.languages import by_code
from common.records import write_json, write_jsonl
from data_collection.corpus_stats import add_to, new_bucket
from data_collection.decontaminate import ContaminationIndex
from data_collection.documents import DocumentShardWriter
from data_collection.dt_dedup import (
    MinhashDedupBuckets,
    MinhashDedupFilter,
    PriorityCluster,
    PrioritySignature,
    minhash_config,
)
from data_collection.shards import read_shard_stats
from data_collection.token_count import TokenCounter


@dataclass
class LangPlan:
    lang: str
    work: Path  # _work/dedup/<lang>
    files: list[str]  # cleaned shard paths, in file-id order
    num_buckets: int
    hashes_per_bucket: int
    shingle_size: int
    source_priority: list[str]

    @property
    def config(self):
        return minhash_config(self.num_buckets, self.hashes_per_bucket, self.shingle_size)


def lang_documents(path: str, lang: str, records: bool = True) -> Iterator[Document]:
    """The documents of one language in a cleaned shard, in file order, as datatrove Documents (its source in
    metadata["source"]; with `records`, our whole record in metadata["doc"], else only id, text and source are
    read)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=None if records else ["id", "text", "lang", "source"])
    table = table.filter(pc.equal(table["lang"], lang))
    for batch in table.to_batches(max_chunksize=2048):
        if not records:
            for doc_id, text, source in zip(*(batch.column(k).to_pylist() for k in ("id", "text", "source"))):
                yield Document(text=text, id=doc_id, metadata={"source": source})
            continue
        for row in batch.to_pylist():
            row["meta"] = json.loads(row["meta"]) if row["meta"] else {}
            yield Document(text=row["text"], id=row["id"], metadata={"source": row["source"], "doc": row})


def signature_unit(plan: LangPlan, i: int, index: ContaminationIndex) -> dict:
    """MinHash signatures of file i (and which of its documents are contaminated: the units are computed once)."""
    space = by_code(plan.lang).space_delimited
    contaminated: list[dict] = []

    def inspect(idx: int, doc: Document, units, hashes) -> None:
        hit = index.check_units(units, hashes, space)
        if hit is not None:
            contaminated.append({"index": idx, "id": doc.id, "lang": plan.lang, "source": doc.metadata["source"],
                                 "benchmark_item": hit.benchmark_id, "ngram": hit.ngram})

    step = PrioritySignature(str(plan.work / "sigs"), plan.config, space, str(plan.work / "docs"), inspect=inspect)
    step.run(lang_documents(plan.files[i], plan.lang, records=False), rank=i)
    write_jsonl(plan.work / "contaminated" / f"{i:05d}.jsonl", contaminated)
    return {"contaminated_candidates": len(contaminated)}


def buckets_unit(plan: LangPlan, bucket: int) -> dict:
    """datatrove's bucket stage for one band (or the exact-key band): pairs of documents sharing it."""
    step = MinhashDedupBuckets(str(plan.work / "sigs"), str(plan.work / "buckets"), config=plan.config)
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
    """Drop file i's duplicates (datatrove's filter) and contaminated documents; write the survivors and count
    their tokens. Returns the counts of this unit (docs, chars, tokens, by_source, contaminated)."""
    bad = {}
    for line in (plan.work / "contaminated" / f"{i:05d}.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        bad[rec.pop("index")] = rec
    numbered = (_numbered(d, k) for k, d in enumerate(lang_documents(plan.files[i], plan.lang)))
    kept = MinhashDedupFilter(str(plan.work / "remove")).run(numbered, rank=i)
    result = {"docs": 0, "chars": 0, "tokens": 0, "by_source": {}}
    contaminated: list[dict] = []
    batch: list[dict] = []
    with DocumentShardWriter(out_dir / plan.lang / f"part-{i:05d}.parquet") as writer:
        for doc in kept:
            if doc.metadata["index"] in bad:
                contaminated.append(bad[doc.metadata["index"]])
                continue
            row = doc.metadata["doc"]
            writer.add(row)
            batch.append(row)
            if len(batch) >= 512:
                _count(batch, counter, result)
                batch = []
        _count(batch, counter, result)
    write_jsonl(plan.work / "contaminated" / f"{i:05d}.kept-out.jsonl", contaminated)
    return {**result, "contaminated": len(contaminated)}


def _numbered(doc: Document, k: int) -> Document:
    doc.metadata["index"] = k
    return doc


def _count(batch: list[dict], counter: TokenCounter, result: dict) -> None:
    for row, n_tokens in zip(batch, counter.count([r["text"] for r in batch])):
        add_to(result, len(row["text"]), n_tokens)
        add_to(result["by_source"].setdefault(row["source"], new_bucket()), len(row["text"]), n_tokens)


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


def write_plan(plan: LangPlan, fingerprint: str) -> None:
    write_json(plan.work / "plan.json", {"lang": plan.lang, "files": plan.files, "fingerprint": fingerprint})


# ------------------------------------------------------------------------------------------ orchestration
def _plans(cfg, tasks) -> tuple[list[LangPlan], dict[str, dict]]:
    """Per language, its cleaned shards in file order; a language whose inputs or settings changed since its
    work folder was made is reset (work, output part files and removed lists), so nothing old is mixed in."""
    from data_collection.build_corpus import ASSEMBLE_FIELDS, LANGUAGE_CODES, _cleaned_path, _fingerprint

    out = Path(cfg.output)
    clean_stats = {t.name: read_shard_stats(_cleaned_path(cfg, t)) for t in tasks}
    plans = []
    for lang in cfg.languages or sorted(LANGUAGE_CODES):
        files = [str(_cleaned_path(cfg, t)) for t in tasks
                 if clean_stats[t.name]["by_lang"].get(lang, {}).get("docs_out", 0) > 0]
        work = out / "_work" / "dedup" / lang
        plan = LangPlan(lang, work, files, cfg.minhash_buckets, cfg.minhash_hashes_per_bucket, cfg.shingle_size,
                        cfg.source_priority)
        fp = _fingerprint(cfg, ASSEMBLE_FIELDS, files, [clean_stats[Path(f).name[:-8]]["fp"] for f in files])
        old = json.loads((work / "plan.json").read_text(encoding="utf-8")) if (work / "plan.json").exists() else None
        if old is None or old["fingerprint"] != fp:
            for stale in (work, out / lang):
                shutil.rmtree(stale, ignore_errors=True)
            for name in (f"duplicates.{lang}.jsonl", f"contaminated.{lang}.jsonl"):
                (out / "removed" / name).unlink(missing_ok=True)
            if files:
                write_plan(plan, fp)
        if files:
            plans.append(plan)
    return plans, clean_stats


def _unit(name: str, work: Path, fn) -> object:
    from data_collection.build_corpus import Unit

    marker = work / "done" / f"{name.replace(' ', '-')}.json"

    def run_and_mark() -> dict:
        result = fn()
        write_json(marker, result)
        return result

    return Unit(name, run_and_mark, marker.exists)


def _stage_units(stage: str, plans: list[LangPlan], cfg, shared: dict) -> list:
    out = Path(cfg.output)
    units = []
    for p in plans:
        n_files, n_buckets = len(p.files), p.config.num_buckets
        if stage == "signature":
            units += [_unit(f"signature {p.lang} {i}", p.work, lambda p=p, i=i: signature_unit(p, i, shared["index"]()))
                      for i in range(n_files)]
        elif stage == "buckets":
            units += [_unit(f"buckets {p.lang} {b}", p.work, lambda p=p, b=b: buckets_unit(p, b))
                      for b in _buckets_wanted(cfg, n_buckets)]
        elif stage == "cluster":
            units.append(_unit(f"cluster {p.lang}", p.work, lambda p=p: cluster_unit(p)))
        elif stage == "filter":
            units += [_unit(f"filter {p.lang} {i}", p.work, lambda p=p, i=i: filter_unit(p, i, out, shared["counter"]()))
                      for i in range(n_files)]
    return units


def _buckets_wanted(cfg, n_buckets: int) -> list[int]:
    """Near bands only when dedup_near, the exact band only when dedup_exact (an empty band finds nothing)."""
    return [b for b in range(n_buckets) if (b == n_buckets - 1 and cfg.dedup_exact)
            or (b < n_buckets - 1 and cfg.dedup_near)]


def _lazy(make):
    cache = []

    def get():
        if not cache:
            cache.append(make())
        return cache[0]
    return get


def run_assemble(cfg, tasks, manifest) -> tuple[list[dict], dict]:
    """Stages 2-6 (or the one named by cfg.stage) for this task; returns (failed units, counts)."""
    from loguru import logger

    from data_collection.build_corpus import STAGES, _clean_done, run_units
    from data_collection.decontaminate import build_index

    logger.disable("datatrove")  # its per-step INFO lines would drown our one line per stage
    missing = [t.path for t in tasks if not _clean_done(cfg, t)]
    if missing:
        return [{"unit": "clean", "reason": f"{len(missing)} shard(s) not cleaned (run --stage clean for every "
                 f"slice): {missing[:3]}"}], {}
    plans, clean_stats = _plans(cfg, tasks)
    shared = {"index": _lazy(lambda: build_index(cfg.mmedbench_test, cfg.benchmark_files, cfg.decontam_word_n,
                                                 cfg.decontam_char_n, cfg.decontam_char_min)),
              "counter": _lazy(lambda: TokenCounter(cfg.tokenizer))}
    stages = STAGES[1:] if cfg.stage in ("all", "assemble") else (cfg.stage,)
    for stage in stages:
        if stage == "stats":
            waiting = _previous_done(stage, plans, cfg)
            if waiting:
                return [{"unit": stage, "reason": f"{len(waiting)} filter unit(s) not finished: {waiting[:3]}"}], {}
            return [], write_corpus_stats(cfg, plans, clean_stats)
        waiting = _previous_done(stage, plans, cfg)
        if waiting:
            return [{"unit": stage, "reason": f"{len(waiting)} unit(s) of the stage before it have not finished "
                     f"(run that stage for every slice first): {waiting[:3]}"}], {}
        for p in plans:
            (p.work / "buckets").mkdir(parents=True, exist_ok=True)
        units = _stage_units(stage, plans, cfg, shared)
        errors = run_units(stage, units, cfg)
        if errors or cfg.stage == stage:
            return errors, {}
    return [], {}


def _previous_done(stage: str, plans: list[LangPlan], cfg) -> list[str]:
    """Units of the stage before `stage` that have not finished (a stage needs all of them)."""
    from data_collection.build_corpus import STAGES

    before = STAGES[STAGES.index(stage) - 1]
    if before == "clean":
        return []
    return [u.name for u in _stage_units(before, plans, cfg, {}) if not u.done()]


def write_corpus_stats(cfg, plans: list[LangPlan], clean_stats: dict[str, dict]) -> dict:
    """removed/ lists, stats.json, stats.md (and stats.png) over all languages; returns the steps per language."""
    from data_collection.build_corpus import CLEAN_COUNTS, LANGUAGE_CODES
    from data_collection.corpus_stats import write_stats

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
        dups = json.loads((p.work / "done" / f"cluster-{p.lang}.json").read_text(encoding="utf-8"))
        v = {"docs": 0, "chars": 0, "tokens": 0, "by_source": {}, "contaminated": 0}
        for i in range(len(p.files)):
            part = json.loads((p.work / "done" / f"filter-{p.lang}-{i}.json").read_text(encoding="utf-8"))
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
