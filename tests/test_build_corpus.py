"""Corpus assembly on small made-up documents: cleaning, language check, dedup, decontamination, stats."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from common.records import write_jsonl
from data_collection.build_corpus import main
from data_collection.documents import make_doc_id, write_document_shard

CARDIO = ("Acute myocardial infarction occurs when blood flow to a part of the heart muscle stops, usually because "
          "a coronary artery is blocked by a ruptured atherosclerotic plaque. Patients typically present with "
          "chest pain radiating to the left arm or jaw, sweating, nausea and shortness of breath. The "
          "electrocardiogram may show ST segment elevation, and cardiac troponin rises within hours. Treatment "
          "aims at rapid reperfusion with percutaneous coronary intervention or thrombolysis, together with "
          "aspirin, a second antiplatelet agent, anticoagulation, beta blockers and high intensity statins.")
DIABETES = ("Type 2 diabetes mellitus is a chronic metabolic disease characterised by insulin resistance and "
            "relative insulin deficiency. Long-term complications include retinopathy, nephropathy, neuropathy "
            "and cardiovascular disease. First-line pharmacological therapy is metformin, combined with diet, "
            "weight loss and exercise; glycated haemoglobin is measured every three months to guide treatment "
            "intensification with other oral agents or insulin.")
ASTHMA = ("Asthma is a chronic inflammatory disease of the airways with variable airflow obstruction and "
          "bronchial hyperresponsiveness. Symptoms include wheeze, cough, chest tightness and breathlessness, often "
          "worse at night. Inhaled corticosteroids are the cornerstone of maintenance therapy, while short-acting "
          "beta agonists relieve acute symptoms during exacerbations in children and adults.")
FRENCH = ["L'hypertension artérielle est une maladie chronique fréquente. Le médecin mesure la tension artérielle "
          "à plusieurs reprises avant de poser le diagnostic et de proposer un traitement adapté au patient, "
          "comme les diurétiques thiazidiques ou les inhibiteurs de l'enzyme de conversion.",
          "La grippe saisonnière est une infection virale aiguë des voies respiratoires. Elle provoque de la fièvre, "
          "des courbatures et une toux sèche; la vaccination annuelle protège les personnes âgées et fragiles.",
          "L'asthme de l'enfant se manifeste par des sifflements et une gêne respiratoire nocturne. Les "
          "corticoïdes inhalés réduisent l'inflammation bronchique et le nombre de crises chez les jeunes patients."]
BOILER = "Subscribe to our newsletter for more health news"
ZH = ("糖尿病是一组以高血糖为特征的代谢性疾病。高血糖则是由于胰岛素分泌缺陷或其生物作用受损引起。长期存在的高血糖，"
      "导致各种组织，特别是眼、肾、心脏、血管、神经的慢性损害和功能障碍。治疗包括饮食控制、运动和药物治疗。")


def doc(source: str, key: str, text: str, lang: str = "en") -> dict:
    return {"id": make_doc_id(source, key), "text": text, "lang": lang, "source": source, "meta": {"key": key}}


@pytest.fixture()
def shards(tmp_path, samples_dir) -> tuple[Path, str, str]:
    en_question = json.loads((samples_dir / "mmedbench/Test/English.jsonl").read_text().splitlines()[0])["question"]
    zh_questions = [json.loads(x)["question"] for x in
                    (samples_dir / "mmedbench/Test/Chinese.jsonl").read_text(encoding="utf-8").splitlines()]
    zh_question = max(zh_questions, key=len)  # >= 50 characters, so it can match
    root = tmp_path / "sources"
    web = [doc("web", "cardio", CARDIO), doc("web", "diabetes", DIABETES + "\n" + BOILER),
           doc("web", "cardio-near", CARDIO.replace("sweating", "diaphoresis")),
           doc("web", "asthma", ASTHMA + "\n" + BOILER), doc("web", "copy", DIABETES + "\n" + BOILER),
           doc("web", "short", "Aspirin dose."), doc("web", "mislabelled", CARDIO.replace("Acute", "Severe"), "fr"),
           doc("web", "leak", "Case discussion. " + en_question + " " + ASTHMA.replace("Asthma", "It")),
           doc("web", "zh-leak", "病例讨论：" + zh_question + "请分析。", "zh"), doc("web", "zh", ZH, "zh")]
    for i in range(3):  # the boilerplate line repeated in >= 5 documents of the shard
        web.append(doc("web", f"b{i}", f"{BOILER}\n" + FRENCH[i], "fr"))
    write_document_shard(root / "web" / "part-0.parquet", web)
    write_document_shard(root / "textbook" / "book.parquet", [doc("textbook", "cardio", CARDIO)])
    write_jsonl(root / "website" / "pages.jsonl", [doc("website", "diabetes", DIABETES)])
    return root, en_question, zh_question


def _run(root: Path, out: Path, tiny_model_dir: Path, *extra: str) -> int:
    return main(["--config", "configs/data_collection/build_corpus.yaml", "--input", str(root), "--output",
                 str(out), "--tokenizer", str(tiny_model_dir), "--min_chars", '{"default": 60, "zh": 30}',
                 "--progress", "false", *extra])


def _texts(out: Path, lang: str) -> dict[str, str]:
    rows = [r for p in sorted((out / lang).glob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    return {json.loads(r["meta"])["key"] + "@" + r["source"]: r["text"] for r in rows}


def test_corpus_is_cleaned_deduplicated_and_decontaminated(shards, tmp_path, tiny_model_dir, repo_root,
                                                            monkeypatch, capsys):
    monkeypatch.chdir(repo_root)
    root, _, _ = shards
    out = tmp_path / "corpus"
    assert _run(root, out, tiny_model_dir) == 0
    en = _texts(out, "en")
    # the textbook copy beats the web copy (exact) and its near duplicate; the website copy beats two web copies
    assert set(en) == {"cardio@textbook", "diabetes@website", "asthma@web"}
    assert BOILER not in en["asthma@web"]  # repeated line stripped from every document of the shard
    assert set(_texts(out, "zh")) == {"zh@web"}
    assert len(_texts(out, "fr")) == 3  # the English text labelled fr is dropped by the language check
    dups = [json.loads(x) for x in (out / "removed" / "duplicates.en.jsonl").read_text().splitlines()]
    assert sorted(d["reason"] for d in dups) == ["exact", "exact", "exact", "near"]
    leaks = [json.loads(x) for p in (out / "removed").glob("contaminated.*.jsonl") for x in p.read_text().splitlines()]
    assert sorted(x["lang"] for x in leaks) == ["en", "zh"]
    assert leaks[0]["benchmark_item"] and leaks[0]["ngram"]
    stats = json.loads((out / "stats.json").read_text())
    assert set(stats["languages"]) == {"en", "zh", "fr"}
    en_stats = stats["languages"]["en"]
    assert en_stats["tokens"] > 0 and set(en_stats["by_source"]) == {"textbook", "website", "web"}
    steps = en_stats["steps"]
    assert (steps["too_short"], steps["exact_duplicates"], steps["near_duplicates"], steps["contaminated"],
            steps["docs_out"]) == (1, 3, 1, 1, 3)
    assert stats["languages"]["fr"]["steps"]["lang_dropped"] == 1
    assert (out / "stats.md").read_text().count("| en |") == 2 and (out / "stats.png").stat().st_size > 1000
    assert "| en |" in capsys.readouterr().out
    # a rerun reuses the finished languages and gives the same corpus
    before = {lang: _texts(out, lang) for lang in ("en", "zh", "fr")}
    assert _run(root, out, tiny_model_dir) == 0
    assert {lang: _texts(out, lang) for lang in ("en", "zh", "fr")} == before


def test_language_mismatches_can_be_kept(shards, tmp_path, tiny_model_dir, repo_root, monkeypatch):
    monkeypatch.chdir(repo_root)
    root, _, _ = shards
    out = tmp_path / "corpus"
    assert _run(root, out, tiny_model_dir, "--langid", "keep", "--languages", "fr", "--dedup_near", "false") == 0
    fr = _texts(out, "fr")
    assert "mislabelled@web" in fr and len(fr) == 4
    stats = json.loads((out / "stats.json").read_text())
    assert set(stats["languages"]) == {"fr"} and stats["languages"]["fr"]["steps"]["lang_mismatch"] == 1


def test_boilerplate_is_counted_over_distinct_documents_and_never_empties_one():
    from data_collection.corpus.clean import boilerplate_lines, strip_lines

    article = "Metformin lowers hepatic glucose output.\nIt is first-line therapy in type 2 diabetes.\nDose: 500 mg."
    # five copies of one article are duplicates (dedup keeps one), not five pages sharing boilerplate
    assert boilerplate_lines([article] * 5, min_docs=5, max_chars=200) == set()
    pages = [f"Cookie notice\nArticle {i} about asthma and inhaled corticosteroids." for i in range(5)]
    boiler = boilerplate_lines(pages, min_docs=5, max_chars=200)
    assert strip_lines(pages[0], boiler) == ("Article 0 about asthma and inhaled corticosteroids.", 1)
    assert strip_lines("Cookie notice", boiler) == ("Cookie notice", 0)  # stripping would leave nothing
