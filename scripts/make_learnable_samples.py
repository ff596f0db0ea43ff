"""Write samples/learnable/{Train,Test}/<Language>.jsonl: a small MMedBench-format task a tiny model can learn, in
the six MMedBench languages.

    python scripts/make_learnable_samples.py --output samples/learnable

Per language, each fact (a condition and its first-line drug) is asked in two wordings in Train and in two other
wordings in Test, always with the same four options in the same order (the correct drug and drugs of other facts),
so the test asks known facts in words the model has not seen. French and Japanese also have facts with two drugs
(multi-answer questions, as in FrenchMedMCQA and IgakuQA: only the exact pair is right). The rationale states the
fact. Chance accuracy is 25% for a single answer, 1 in 6 for a pair. A pipeline whose prompt, loss mask,
generation or parsing disagree cannot score here: the demo and tests/test_learnable.py use it to show that
fine-tune -> generate -> evaluate learns, language by language. Deterministic: the same seed writes the same files.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

LANGS = ("English", "Chinese", "Japanese", "French", "Russian", "Spanish")
# one fact per row: the condition and the drug in each language, in the order of LANGS; the condition is written
# to fit the wordings below (French and Spanish with an article, Russian in the prepositional case after "при")
FACTS: tuple[tuple[tuple[str, str], ...], ...] = (
    (("anaphylaxis", "epinephrine"), ("过敏性休克", "肾上腺素"), ("アナフィラキシー", "アドレナリン"),
     ("l'anaphylaxie", "Adrénaline"), ("анафилаксии", "Адреналин"), ("la anafilaxia", "Adrenalina")),
    (("scurvy", "vitamin C"), ("坏血病", "维生素C"), ("壊血病", "ビタミンC"),
     ("le scorbut", "Vitamine C"), ("цинге", "Витамин C"), ("el escorbuto", "Vitamina C")),
    (("diabetic ketoacidosis", "insulin"), ("糖尿病酮症酸中毒", "胰岛素"), ("糖尿病性ケトアシドーシス", "インスリン"),
     ("l'acidocétose diabétique", "Insuline"), ("диабетическом кетоацидозе", "Инсулин"),
     ("la cetoacidosis diabética", "Insulina")),
    (("opioid overdose", "naloxone"), ("阿片类药物过量", "纳洛酮"), ("オピオイド過量服用", "ナロキソン"),
     ("le surdosage en opioïdes", "Naloxone"), ("передозировке опиоидов", "Налоксон"),
     ("la sobredosis de opioides", "Naloxona")),
    (("benzodiazepine overdose", "flumazenil"), ("苯二氮䓬类药物过量", "氟马西尼"), ("ベンゾジアゼピン過量服用", "フルマゼニル"),
     ("le surdosage en benzodiazépines", "Flumazénil"), ("передозировке бензодиазепинов", "Флумазенил"),
     ("la sobredosis de benzodiacepinas", "Flumazenil")),
    (("paracetamol poisoning", "acetylcysteine"), ("对乙酰氨基酚中毒", "乙酰半胱氨酸"), ("アセトアミノフェン中毒", "アセチルシステイン"),
     ("l'intoxication au paracétamol", "Acétylcystéine"), ("отравлении парацетамолом", "Ацетилцистеин"),
     ("la intoxicación por paracetamol", "Acetilcisteína")),
    (("heparin overdose", "protamine"), ("肝素过量", "鱼精蛋白"), ("ヘパリン過量", "プロタミン"),
     ("le surdosage en héparine", "Protamine"), ("передозировке гепарина", "Протамин"),
     ("la sobredosis de heparina", "Protamina")),
    (("warfarin overdose", "vitamin K"), ("华法林过量", "维生素K"), ("ワルファリン過量", "ビタミンK"),
     ("le surdosage en warfarine", "Vitamine K"), ("передозировке варфарина", "Витамин K"),
     ("la sobredosis de warfarina", "Vitamina K")),
    (("acute gout", "colchicine"), ("急性痛风", "秋水仙碱"), ("急性痛風発作", "コルヒチン"),
     ("la crise de goutte", "Colchicine"), ("остром приступе подагры", "Колхицин"), ("la gota aguda", "Colchicina")),
    (("syphilis", "penicillin"), ("梅毒", "青霉素"), ("梅毒", "ペニシリン"),
     ("la syphilis", "Pénicilline"), ("сифилисе", "Пенициллин"), ("la sífilis", "Penicilina")),
    (("hypothyroidism", "levothyroxine"), ("甲状腺功能减退症", "左甲状腺素"), ("甲状腺機能低下症", "レボチロキシン"),
     ("l'hypothyroïdie", "Lévothyroxine"), ("гипотиреозе", "Левотироксин"), ("el hipotiroidismo", "Levotiroxina")),
    (("myasthenia gravis", "pyridostigmine"), ("重症肌无力", "溴吡斯的明"), ("重症筋無力症", "ピリドスチグミン"),
     ("la myasthénie", "Pyridostigmine"), ("миастении", "Пиридостигмин"), ("la miastenia gravis", "Piridostigmina")),
)
# facts with two drugs: multi-answer questions, French and Japanese only (as in MMedBench)
PAIR_FACTS: dict[str, tuple[tuple[str, tuple[str, str]], ...]] = {
    "French": (("la tuberculose", ("Isoniazide", "Rifampicine")),
               ("l'infection à Helicobacter pylori", ("Amoxicilline", "Clarithromycine")),
               ("la crise d'asthme aiguë", ("Salbutamol", "Prednisolone"))),
    "Japanese": (("結核", ("イソニアジド", "リファンピシン")),
                 ("ヘリコバクター・ピロリ感染症", ("アモキシシリン", "クラリスロマイシン")),
                 ("喘息の急性発作", ("サルブタモール", "プレドニゾロン"))),
}
TRAIN_WORDINGS = {
    "English": ("Which drug is the first choice for {c}?", "A patient presents with {c}. What is the drug of choice?"),
    "Chinese": ("{c}的首选药物是哪一种？", "患者诊断为{c}，应首选哪种药物？"),
    "Japanese": ("{c}の第一選択薬はどれか。", "{c}の患者に最初に投与すべき薬はどれか。"),
    "French": ("Quel est le médicament de premier choix pour {c} ?", "Dans {c}, quel traitement donner en premier ?"),
    "Russian": ("Какой препарат является препаратом выбора при {c}?", "Что следует назначить в первую очередь при {c}?"),
    "Spanish": ("¿Cuál es el fármaco de elección para {c}?", "Un paciente presenta {c}. ¿Qué fármaco se da primero?"),
}
TEST_WORDINGS = {
    "English": ("For {c}, which medication is preferred first?", "The treatment of choice in {c} is which drug?"),
    "Chinese": ("对于{c}，优先使用哪种药物？", "{c}的治疗首选药是？"),
    "Japanese": ("{c}で優先して用いる薬はどれか。", "{c}の治療薬として第一に選ぶものはどれか。"),
    "French": ("Pour traiter {c}, quel médicament est préféré ?", "Le traitement de choix pour {c} est lequel ?"),
    "Russian": ("Какое лекарство предпочтительно при {c}?", "Препаратом выбора при {c} является какой препарат?"),
    "Spanish": ("Para {c}, ¿qué medicamento se prefiere?", "El tratamiento de elección en {c} es ¿qué fármaco?"),
}
RATIONALE = {
    "English": "The drug of choice for {c} is {d}.",
    "Chinese": "{c}的首选药物是{d}。",
    "Japanese": "{c}の第一選択薬は{d}である。",
    "French": "Le médicament de choix pour {c} : {d}.",
    "Russian": "Препарат выбора при {c}: {d}.",
    "Spanish": "El fármaco de elección para {c}: {d}.",
}
AND = {"French": " et ", "Japanese": "と"}
LETTERS = "ABCD"
# facts per language in the shipped samples: enough for a per-language accuracy, few enough that the demo's
# fine-tuning learns them in about a minute of CPU
DEFAULT_FACTS = 8


def language_facts(lang: str, count: int = len(FACTS)) -> list[tuple[str, tuple[str, ...]]]:
    """(condition, drugs) for one language: the first `count` single-answer facts (one drug each) and, in French
    and Japanese, the multi-answer facts (two drugs each)."""
    column = LANGS.index(lang)
    facts = [(row[column][0], (row[column][1],)) for row in FACTS[:count]]
    return facts + [(condition, drugs) for condition, drugs in PAIR_FACTS.get(lang, ())]


def options_for(facts: list[tuple[str, tuple[str, ...]]], index: int, rng: random.Random
                ) -> tuple[dict[str, str], list[str]]:
    """Four options (the fact's drugs and others' drugs), shuffled once per fact; returns (options, letters)."""
    drugs = facts[index][1]
    others = [d for k, (_, ds) in enumerate(facts) if k != index for d in ds]
    choices = [*drugs, *rng.sample(others, len(LETTERS) - len(drugs))]
    rng.shuffle(choices)
    return dict(zip(LETTERS, choices)), sorted(LETTERS[choices.index(d)] for d in drugs)


def records(lang: str, wordings: tuple[str, ...], seed: int, count: int = len(FACTS)) -> list[dict]:
    rng = random.Random(f"{seed}-{lang}")
    facts = language_facts(lang, count)
    fact_options = [options_for(facts, k, rng) for k in range(len(facts))]
    out = []
    for wording in wordings:
        for (condition, drugs), (options, answer) in zip(facts, fact_options):
            drug = AND.get(lang, " and ").join(drugs)
            out.append({"question": wording.format(c=condition), "options": options, "answer_idx": ",".join(answer),
                        "rationale": RATIONALE[lang].format(c=condition, d=drug),
                        "human_checked": True, "human_check_passed": True})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", default="samples/learnable")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--facts", type=int, default=DEFAULT_FACTS,
                        help=f"single-answer facts per language (at most {len(FACTS)}); fewer train faster")
    args = parser.parse_args()
    for split, wordings in (("Train", TRAIN_WORDINGS), ("Test", TEST_WORDINGS)):
        for lang in LANGS:
            path = Path(args.output) / split / f"{lang}.jsonl"
            path.parent.mkdir(parents=True, exist_ok=True)
            rows = records(lang, wordings[lang], args.seed, args.facts)
            path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
            print(f"{path}: {len(rows)} questions")


if __name__ == "__main__":
    main()
