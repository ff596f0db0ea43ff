"""Write samples/benchmarks/: a few questions of each multilingual benchmark in its published file format.

    python scripts/make_benchmark_samples.py [--output samples/benchmarks]

Nothing here is copied from the benchmarks: the questions are written for this project. The file layout and the
field names are the published ones (docs/benchmarks.md says where each comes from), so the loaders read the real
downloads the same way:

    xmedbench/test/<code>.json                                  JSON list: question, options "(A) x\\n(B) y", answer "(C)", source
    medexpqa/data/<code>/test.<code>.casimedicos.rag.jsonl        JSON lines: full_question, options {"1".."5"}, correct_option,
                                                                explanations {"1": {"exist", "char_ranges", "word_ranges", "text"}}, ...
    kormedmcqa/<subset>/test-00000-of-00001.parquet             question, A..E, answer (1..5), cot, subject, year, period, q_number
    global_mmlu/<code>/test-00000-of-00001.parquet              question, option_a..option_d, answer "A".."D", subject, cultural_sensitivity_label, ...
    mmlu_prox/<code>/test-00000-of-00001.parquet                question, option_0..option_9 (None when fewer), answer, answer_index, category, ...

Plus bad/: one malformed file per format, for the tests of the one-line errors.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

# (question, [options], gold index) per language; the same three facts asked in each language
XMED = {
    "en": [("Which drug is first-line for anaphylaxis?", ["Intramuscular adrenaline", "Oral cetirizine",
                                                          "Intravenous hydrocortisone", "Inhaled salbutamol"], 0),
           ("Which vitamin deficiency causes scurvy?", ["Vitamin A", "Vitamin B12", "Vitamin C", "Vitamin D"], 2),
           ("Which organ produces insulin?", ["Liver", "Pancreas", "Spleen", "Kidney"], 1)],
    "zh": [("过敏性休克的一线用药是什么？", ["肌内注射肾上腺素", "口服西替利嗪", "静脉注射氢化可的松", "吸入沙丁胺醇"], 0),
           ("缺乏哪种维生素会导致坏血病？", ["维生素A", "维生素B12", "维生素C", "维生素D"], 2),
           ("哪个器官分泌胰岛素？", ["肝脏", "胰腺", "脾脏", "肾脏"], 1)],
    "es": [("¿Cuál es el fármaco de primera línea en la anafilaxia?", ["Adrenalina intramuscular", "Cetirizina oral",
                                                                        "Hidrocortisona intravenosa",
                                                                        "Salbutamol inhalado"], 0),
           ("¿Qué déficit vitamínico causa el escorbuto?", ["Vitamina A", "Vitamina B12", "Vitamina C",
                                                             "Vitamina D"], 2)],
    "fr": [("Quel est le traitement de première intention de l'anaphylaxie ?", [
        "Adrénaline intramusculaire", "Cétirizine orale", "Hydrocortisone intraveineuse", "Salbutamol inhalé"], 0),
           ("Quel organe produit l'insuline ?", ["Foie", "Pancréas", "Rate", "Rein"], 1)],
    "ar": [("ما هو الدواء الأول في علاج الحساسية المفرطة؟", ["الأدرينالين في العضل", "السيتريزين عن طريق الفم",
                                                            "الهيدروكورتيزون في الوريد", "السالبوتامول المستنشق"], 0),
           ("أي عضو ينتج الأنسولين؟", ["الكبد", "البنكرياس", "الطحال", "الكلية"], 1)],
    "hi": [("एनाफिलेक्सिस में पहली पंक्ति की दवा कौन सी है?", ["इंट्रामस्क्युलर एड्रेनालाईन", "मौखिक सेटीरिज़िन",
                                                          "अंतःशिरा हाइड्रोकार्टिसोन", "साँस से सैल्बुटामोल"], 0),
           ("कौन सा अंग इंसुलिन बनाता है?", ["यकृत", "अग्न्याशय", "प्लीहा", "गुर्दा"], 1)],
}

MEDEXP = {
    "en": ("A 24-year-old woman develops wheezing, hypotension and urticaria minutes after a wasp sting. What is the "
           "first treatment?", ["Intramuscular adrenaline", "Oral antihistamine", "Intravenous corticosteroid",
                                "Observation for two hours"], 0,
           ["Adrenaline is the first treatment of anaphylaxis: it reverses hypotension and bronchospasm.",
            "Antihistamines treat the skin signs but not the shock.",
            "Corticosteroids act after hours and do not treat the acute shock.",
            "Observation alone delays the treatment of a life-threatening reaction."]),
    "es": ("Una mujer de 24 años presenta sibilancias, hipotensión y urticaria minutos después de una picadura de "
           "avispa. ¿Cuál es el primer tratamiento?", ["Adrenalina intramuscular", "Antihistamínico oral",
                                                      "Corticoide intravenoso", "Observación durante dos horas"], 0,
           ["La adrenalina es el primer tratamiento de la anafilaxia: revierte la hipotensión y el broncoespasmo.",
            "Los antihistamínicos tratan los signos cutáneos pero no el shock.",
            "Los corticoides actúan tras horas y no tratan el shock agudo.",
            "La sola observación retrasa el tratamiento de una reacción grave."]),
    "fr": ("Une femme de 24 ans présente un sifflement, une hypotension et une urticaire quelques minutes après une "
           "piqûre de guêpe. Quel est le premier traitement ?", ["Adrénaline intramusculaire",
                                                                   "Antihistaminique oral",
                                                                   "Corticoïde intraveineux",
                                                                   "Surveillance pendant deux heures"], 0,
           ["L'adrénaline est le premier traitement de l'anaphylaxie : elle corrige l'hypotension et le bronchospasme.",
            "Les antihistaminiques traitent les signes cutanés mais pas le choc.",
            "Les corticoïdes agissent après des heures et ne traitent pas le choc aigu.",
            "La seule surveillance retarde le traitement d'une réaction grave."]),
    "it": ("Una donna di 24 anni presenta sibili, ipotensione e orticaria pochi minuti dopo una puntura di vespa. "
           "Qual è il primo trattamento?", ["Adrenalina intramuscolare", "Antistaminico orale",
                                            "Corticosteroide endovenoso", "Osservazione per due ore"], 0,
           ["L'adrenalina è il primo trattamento dell'anafilassi: corregge l'ipotensione e il broncospasmo.",
            "Gli antistaminici trattano i segni cutanei ma non lo shock.",
            "I corticosteroidi agiscono dopo ore e non trattano lo shock acuto.",
            "La sola osservazione ritarda il trattamento di una reazione grave."]),
}

KOR = {
    "doctor": [("아나필락시스의 일차 치료제는?", ["근육 내 에피네프린", "경구 세티리진", "정맥 하이드로코르티손",
                                         "흡입 살부타몰", "경구 프레드니솔론"], 1),
               ("괴혈병을 일으키는 비타민 결핍은?", ["비타민 A", "비타민 B12", "비타민 C", "비타민 D", "비타민 K"], 3)],
    "nurse": [("인슐린을 분비하는 기관은?", ["간", "췌장", "비장", "신장", "위"], 2)],
    "pharm": [("와파린의 효과를 역전시키는 약물은?", ["비타민 K", "프로타민", "날록손", "플루마제닐", "아트로핀"], 1)],
    "dentist": [("충치의 주요 원인균은?", ["뮤탄스 연쇄상구균", "대장균", "황색포도상구균", "녹농균", "결핵균"], 1)],
}

# (subject, question, options, gold letter) per language; astronomy is asked to show that non-medical subjects
# are left out by the subject filter
GMMLU = {
    "en": [("anatomy", "Which cranial nerve innervates the lateral rectus muscle?",
            ["Oculomotor nerve", "Trochlear nerve", "Abducens nerve", "Facial nerve"], "C"),
           ("clinical_knowledge", "What is the normal adult resting heart rate?",
            ["20-40 beats per minute", "60-100 beats per minute", "120-160 beats per minute",
             "180-200 beats per minute"], "B"),
           ("astronomy", "Which planet is closest to the Sun?", ["Venus", "Mars", "Mercury", "Earth"], "C")],
    "de": [("anatomy", "Welcher Hirnnerv innerviert den Musculus rectus lateralis?",
            ["Nervus oculomotorius", "Nervus trochlearis", "Nervus abducens", "Nervus facialis"], "C"),
           ("clinical_knowledge", "Wie hoch ist die normale Ruheherzfrequenz eines Erwachsenen?",
            ["20-40 Schläge pro Minute", "60-100 Schläge pro Minute", "120-160 Schläge pro Minute",
             "180-200 Schläge pro Minute"], "B"),
           ("astronomy", "Welcher Planet ist der Sonne am nächsten?", ["Venus", "Mars", "Merkur", "Erde"], "C")],
    "ko": [("anatomy", "외측직근을 지배하는 뇌신경은?", ["동안신경", "활차신경", "외전신경", "안면신경"], "C"),
           ("college_medicine", "성인의 정상 안정 시 심박수는?", ["분당 20-40회", "분당 60-100회", "분당 120-160회",
                                                          "분당 180-200회"], "B")],
    "hi": [("anatomy", "पार्श्व रेक्टस पेशी को कौन सी कपाल तंत्रिका नियंत्रित करती है?",
            ["ऑकुलोमोटर तंत्रिका", "ट्रोक्लियर तंत्रिका", "एब्ड्यूसेंस तंत्रिका", "फेशियल तंत्रिका"], "C")],
}

PROX = {
    "en": [("health", "Which drug reverses an opioid overdose?", ["Naloxone", "Flumazenil", "Atropine", "Protamine",
                                                                   "Vitamin K", "Glucagon", "Digoxin", "Insulin",
                                                                   "Adenosine", "Heparin"], 0),
           ("health", "Which electrolyte disturbance causes peaked T waves?", ["Hyponatraemia", "Hypernatraemia",
                                                                               "Hypokalaemia", "Hypocalcaemia",
                                                                               "Hypomagnesaemia", "Hyperchloraemia",
                                                                               "Hypophosphataemia",
                                                                               "Hyperkalaemia"], 7),
           ("law", "Which body passes laws in a parliamentary system?", ["Parliament", "The courts", "The police",
                                                                          "The army"], 0)],
    "de": [("health", "Welches Medikament hebt eine Opioidüberdosis auf?", ["Naloxon", "Flumazenil", "Atropin",
                                                                              "Protamin", "Vitamin K", "Glukagon",
                                                                              "Digoxin", "Insulin", "Adenosin",
                                                                              "Heparin"], 0)],
    "ko": [("health", "오피오이드 과다복용을 역전시키는 약물은?", ["날록손", "플루마제닐", "아트로핀", "프로타민", "비타민 K",
                                                       "글루카곤", "디곡신", "인슐린", "아데노신", "헤파린"], 0)],
}


def letter(index: int) -> str:
    return "ABCDEFGHIJ"[index]


def write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def write_parquet(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)


def xmedbench(out: Path) -> None:
    for code, items in XMED.items():
        rows = [{"question": q, "options": "\n".join(f"({letter(i)}) {o}" for i, o in enumerate(opts)),
                 "answer": f"({letter(gold)})", "source": "mmed-sample"} for q, opts, gold in items]
        write_json(out / "xmedbench" / "test" / f"{code}.json", rows)


def medexpqa(out: Path) -> None:
    for code, (question, opts, gold, explanations) in MEDEXP.items():
        options = {str(i + 1): o for i, o in enumerate(opts)} | {"5": None}
        expl = {str(i + 1): {"exist": True, "char_ranges": [], "word_ranges": [], "text": t}
                for i, t in enumerate(explanations)}
        full = " ".join(explanations)
        row = {"id": 1, "year": 2024, "question_id_specific": 1, "full_question": question, "full_answer": full,
               "full_answer_no_ref": full, "type": "ALERGOLOGÍA", "options": options, "correct_option": gold + 1,
               "explanations": expl, "lang": code, "rag": {}}
        write_jsonl(out / "medexpqa" / "data" / code / f"test.{code}.casimedicos.rag.jsonl", [row])


def kormedmcqa(out: Path) -> None:
    for subset, items in KOR.items():
        rows = [{"subject": subset, "year": 2023, "period": 1, "q_number": n + 1, "question": q,
                 **{letter(i): o for i, o in enumerate(opts)}, "answer": gold,
                 "cot": f"정답은 {letter(gold - 1)}입니다."} for n, (q, opts, gold) in enumerate(items)]
        write_parquet(out / "kormedmcqa" / subset / "test-00000-of-00001.parquet", rows)


def global_mmlu(out: Path) -> None:
    for code, items in GMMLU.items():
        rows = [{"sample_id": f"{subject}/test/{n}", "subject": subject, "subject_category": "Medical"
                 if subject != "astronomy" else "STEM", "question": q,
                 **{f"option_{k}": o for k, o in zip("abcd", opts)}, "answer": gold, "required_knowledge": "",
                 "time_sensitive": "No", "reference": "", "culture": "", "region": "", "country": "",
                 "cultural_sensitivity_label": "CA" if n == 0 else "", "is_annotated": n == 0}
                for n, (subject, q, opts, gold) in enumerate(items)]
        write_parquet(out / "global_mmlu" / code / "test-00000-of-00001.parquet", rows)


def mmlu_prox(out: Path) -> None:
    for code, items in PROX.items():
        rows = []
        for n, (category, q, opts, gold) in enumerate(items):
            row = {"question_id": n, "question": q}
            row.update({f"option_{i}": (opts[i] if i < len(opts) else None) for i in range(10)})
            row.update({"answer": letter(gold), "answer_index": gold, "cot_content": "", "category": category,
                        "src": f"ori_mmlu-{category}"})
            rows.append(row)
        write_parquet(out / "mmlu_prox" / code / "test-00000-of-00001.parquet", rows)


def bad_files(out: Path) -> None:
    """One malformed file per format: the second record is bad (tests check the one line names it)."""
    bad = out / "bad"
    good_x = {"question": "Q?", "options": "(A) a\n(B) b", "answer": "(A)", "source": "x"}
    write_json(bad / "xmedbench" / "test" / "en.json", [good_x, {**good_x, "answer": "(E)"}])
    medexp = json.loads((out / "medexpqa" / "data" / "en" / "test.en.casimedicos.rag.jsonl").read_text().splitlines()[0])
    write_jsonl(bad / "medexpqa" / "data" / "en" / "test.en.casimedicos.rag.jsonl",
                [medexp, {**medexp, "correct_option": 7}])
    row = {"subject": "doctor", "year": 2023, "period": 1, "q_number": 1, "question": "Q?", "A": "a", "B": "b",
           "C": "c", "D": "d", "E": "e", "answer": 2, "cot": ""}
    write_parquet(bad / "kormedmcqa" / "doctor" / "test-00000-of-00001.parquet", [row, {**row, "answer": 6}])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=str(Path(__file__).resolve().parent.parent / "samples" / "benchmarks"))
    out = Path(parser.parse_args().output)
    for write in (xmedbench, medexpqa, kormedmcqa, global_mmlu, mmlu_prox, bad_files):
        write(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
