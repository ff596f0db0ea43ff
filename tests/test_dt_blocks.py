"""The keyword filter as a datatrove block keeps exactly what `python -m data_collection.filter` keeps."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import ParquetReader
from datatrove.pipeline.writers import ParquetWriter

from data_collection.filter import main as filter_main
from data_collection.filtering.dt_blocks import MedicalKeywordFilter


def language_from_folder(reader, data: dict, path: str, id_in_file: int) -> dict:
    """CulturaX layout <lang>/<file>.parquet: the folder names the language."""
    text = data.pop(reader.text_key)
    return {"text": text, "id": f"{path}/{id_in_file}", "metadata": {**data, "language": Path(path).parent.name}}


def _read_parquet(folder: Path) -> list[dict]:
    return [d for p in sorted(folder.glob("*.parquet")) for d in pq.read_table(p).to_pylist()]


def _cli_kept(samples: Path, out: Path, *extra: str) -> dict[tuple[str, str], dict]:
    assert filter_main(["--input", str(samples), "--output", str(out), "--progress", "false", *extra]) == 0
    docs = [d for p in sorted((out / "documents").glob("*.parquet")) for d in pq.read_table(p).to_pylist()]
    return {(d["lang"], json.loads(d["meta"])["url"]): d for d in docs}


@pytest.mark.parametrize("keywords", ["paper", "extended"])
def test_datatrove_pipeline_keeps_what_the_cli_keeps(tmp_path, samples_dir, keywords):
    culturax = samples_dir / "culturax"
    cli = _cli_kept(culturax, tmp_path / "cli", "--keywords", keywords)
    LocalPipelineExecutor(pipeline=[
        ParquetReader(str(culturax), glob_pattern="*/*.parquet", adapter=language_from_folder),
        MedicalKeywordFilter(keywords=keywords, exclusion_writer=ParquetWriter(str(tmp_path / "dropped"))),
        ParquetWriter(str(tmp_path / "kept")),
    ], tasks=1, logging_dir=str(tmp_path / "logs")).run()
    kept = _read_parquet(tmp_path / "kept")
    got = {(d["metadata"]["language"], d["metadata"]["url"]): d for d in kept}
    assert len(got) == len(kept) and set(got) == set(cli)
    assert {lang for lang, _ in got} == {"en", "zh", "ja", "fr", "ru", "es"}
    for key, d in got.items():  # same scores as the CLI wrote
        assert (d["metadata"]["mkc"], d["metadata"]["dens"]) == (cli[key]["mkc"], cli[key]["dens"])
    dropped = _read_parquet(tmp_path / "dropped")
    assert len(kept) + len(dropped) == 6 * 44
    assert {d["metadata"]["filter_reason"] for d in dropped} == {"below_thresholds"}
    stats = json.loads((tmp_path / "logs" / "stats.json").read_text())
    filter_stats = next(s for s in stats if "MKC/DENS" in s["name"])["stats"]
    assert filter_stats["forwarded"] == len(kept) and filter_stats["dropped_below_thresholds"] == len(dropped)


def test_fixed_language_unknown_language_and_missing_lists(tmp_path):
    from datatrove.data import Document

    medical = ("The patient with diabetes and hypertension saw a doctor at the hospital; surgery and therapy "
               "were discussed for the tumor.")
    block = MedicalKeywordFilter(lang="English", batch_size=2)
    docs = [Document(medical, "a"), Document("A walk by the river.", "b"), Document("", "c")]
    assert [d.id for d in block.run(iter(docs))] == ["a"]
    assert docs[0].metadata["mkc"] >= 5 and docs[1].metadata["mkc"] == 0
    per_doc = MedicalKeywordFilter()  # language from metadata["language"]
    tagged = [Document(medical, "x", metadata={"language": "en"}), Document(medical, "y", metadata={"language": "xx"}),
              Document(medical, "z")]
    assert per_doc.filter_batch(tagged) == [True, (False, "unknown_language"), (False, "unknown_language")]
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "en.txt")):
        MedicalKeywordFilter(lang="en", keywords_dir=str(tmp_path))
    with pytest.raises(ValueError, match="no thresholds for language 'de'"):
        MedicalKeywordFilter(lang="de", thresholds={"en": {"mkc": 5, "dens": 0.04}})


def test_a_batch_arrow_cannot_take_is_scored_text_by_text():
    """A lone surrogate (valid in Python, not in Arrow) in a batch: every document still gets the CLI's rule."""
    from datatrove.data import Document

    from data_collection.filtering.matcher import PAPER_THRESHOLDS, KeywordRule

    texts = ["糖尿病、高血压和心脏病患者在医院接受手术和治疗，医生开了药物。", "今天天气很好。",
             "糖尿病\ud800患者，医院的医生和护士，手术与治疗、药物、疾病。", "ＤＮＡ检查，癌症……"]
    block = MedicalKeywordFilter(lang="zh", batch_size=8)
    docs = [Document(t, str(i)) for i, t in enumerate(texts)]
    results = block.filter_batch(docs)
    expected = KeywordRule(PAPER_THRESHOLDS).decide("zh", texts)
    assert [r is True for r in results] == [keep for keep, _ in expected]
    assert [(d.metadata["mkc"], d.metadata["dens"]) for d in docs] == [(s.mkc, s.dens) for _, s in expected]
    assert any(keep for keep, _ in expected)
    batch_without = block.filter_batch([Document(t, str(i)) for i, t in enumerate(texts) if "\ud800" not in t])
    assert batch_without == [r for r, t in zip(results, texts) if "\ud800" not in t]
