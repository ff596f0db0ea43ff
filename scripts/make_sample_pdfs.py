"""Generate small sample PDFs for the OCR demo, tests and benchmark (nothing is committed; they are made in seconds).

    python scripts/make_sample_pdfs.py --output outputs/demo/pdfs
    python scripts/make_sample_pdfs.py --output outputs/demo/scans --langs ru,fr,es,ja --variant clean-150

Writes: text.pdf (typeset, 2 pages), scanned.pdf (one page rendered to an image and inserted as a picture, like a
scanned book: Chinese and English, a hyphenated line end, a full-width title over two columns), mixed.pdf (a typeset
page then a scanned page), encrypted.pdf (password protected) and truncated.pdf (cut off after its header).
English is set in Helvetica, Chinese in the built-in `china-s` font, as a printed textbook would be.

With --langs: one scanned page per language (`scan-<lang>-<variant>.pdf`) of a medical text written for this project
in each of en zh ja fr ru es de ar (LANGUAGE_PAGES), set with PyMuPDF's HTML layout and its bundled fonts (Charis
SIL for Latin and Cyrillic, Noto Naskh Arabic with right-to-left shaping, Droid Sans Fallback for CJK), then scanned
as one of VARIANTS: clean at 300 or 150 dpi, skewed, two columns, noisy (tests/test_ocr_languages.py).

The held-out set of scripts/bench_ocr.py (`make_heldout_scan`, `heldout_reference`): per language an A5 book page of
600-1,100 characters (HELDOUT_PAGES, HELDOUT_TABLES: units, diacritics, Latin drug names in non-Latin text) set in
Noto Serif / Noto Serif CJK / Noto Naskh Arabic (Debian fonts-noto-core, fonts-noto-cjk), scanned in each of
HELDOUT_LAYOUTS (clean, noisy, rotated 1.5 degrees, two columns with a 7.6 mm gutter, a table, low-contrast JPEG)
at 200 and 300 dpi; the scanned image is written beside the PDF for plain Tesseract.
"""

from __future__ import annotations

import argparse
import html
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pymupdf

PAGE_W, PAGE_H = 595, 420
SCAN_DPI = 200

TEXT_PAGES = [
    ["Chapter 1 Introduction to Internal Medicine",
     "Internal medicine deals with the prevention, diagnosis and treatment of diseases in adults.",
     "A careful history and physical examination remain the basis of every diagnosis. Laboratory",
     "tests and imaging confirm or refute the hypotheses formed at the bedside."],
    ["Chapter 2 Infectious Diseases",
     "Antibiotics should be chosen according to the likely pathogen and local resistance patterns.",
     "Vaccination prevents many infections such as measles, influenza and hepatitis B in children",
     "and adults, and hand hygiene reduces the spread of infection in hospitals."],
]

# (text, font, x, y): the scanned page; x/y in points. The order of this list is the reading order.
SCANNED_LAYOUT = [
    ("Chapter 3 Cardiovascular Diseases", "helv", 40, 40),
    ("Hypertension is a common chronic disease that affects the cardio-", "helv", 40, 80),
    ("vascular system of many adult patients worldwide.", "helv", 40, 100),
    ("高血压是一种常见的慢性疾病。", "china-s", 40, 140),
    ("糖尿病患者需要定期监测血糖。", "china-s", 40, 160),
    ("Left column: insulin lowers", "helv", 40, 210),
    ("the blood glucose level.", "helv", 40, 230),
    ("Right column: aspirin reduces", "helv", 320, 210),
    ("the risk of heart attack.", "helv", 320, 230),
]
# what a reader gets from the scanned page: the hyphenated word re-joined
SCANNED_TEXT = [
    "Chapter 3 Cardiovascular Diseases",
    "Hypertension is a common chronic disease that affects the cardiovascular system of many adult patients "
    "worldwide.",
    "高血压是一种常见的慢性疾病。糖尿病患者需要定期监测血糖。",
    "Left column: insulin lowers the blood glucose level.",
    "Right column: aspirin reduces the risk of heart attack.",
]
MIXED_SCAN_LAYOUT = [
    ("Chapter 4 Respiratory Medicine", "helv", 40, 40),
    ("Asthma is a chronic inflammatory disease of the airways.", "helv", 40, 80),
    ("哮喘是一种气道慢性炎症性疾病。", "china-s", 40, 120),
]
MIXED_SCAN_TEXT = ["Chapter 4 Respiratory Medicine", "Asthma is a chronic inflammatory disease of the airways.",
                   "哮喘是一种气道慢性炎症性疾病。"]

# One page per language: a title and two paragraphs of a medical text (written for this project). The reference
# text of a page is these strings in order; whitespace is ignored when it is compared with what OCR read.
LANGUAGE_PAGES: dict[str, list[str]] = {
    "en": ["Chapter 5 Diabetes Mellitus",
           "Diabetes mellitus is a chronic metabolic disease characterised by high blood glucose. Type 2 diabetes "
           "is linked to obesity and physical inactivity.",
           "Treatment begins with diet and exercise; metformin is the usual first drug. Patients should check their "
           "feet and eyes every year."],
    "zh": ["第五章 糖尿病",
           "糖尿病是一种以高血糖为特征的慢性代谢性疾病。2型糖尿病与肥胖和缺乏运动密切相关。",
           "治疗首先是饮食控制和运动，二甲双胍通常是首选药物。患者应每年检查足部和眼睛。"],
    "ja": ["第5章 糖尿病",
           "糖尿病は血糖値が高い状態が続く慢性の代謝疾患である。2型糖尿病は肥満や運動不足と深く関係している。",
           "治療は食事療法と運動療法から始め、通常はメトホルミンが第一選択薬となる。患者は毎年、足と目の検査を受けるべきである。"],
    "fr": ["Chapitre 5 Le diabète sucré",
           "Le diabète sucré est une maladie métabolique chronique caractérisée par une glycémie élevée. Le diabète "
           "de type 2 est lié à l'obésité et à la sédentarité.",
           "Le traitement commence par le régime et l'exercice ; la metformine est le médicament de première "
           "intention. Les patients doivent faire examiner leurs pieds et leurs yeux chaque année."],
    "ru": ["Глава 5. Сахарный диабет",
           "Сахарный диабет — хроническое нарушение обмена веществ, при котором повышен уровень глюкозы в крови. "
           "Диабет 2 типа связан с ожирением и малоподвижным образом жизни.",
           "Лечение начинают с диеты и физических упражнений; препаратом первого выбора обычно является метформин. "
           "Пациентам следует ежегодно проверять стопы и глаза."],
    "es": ["Capítulo 5. La diabetes mellitus",
           "La diabetes mellitus es una enfermedad metabólica crónica caracterizada por la glucemia elevada. La "
           "diabetes tipo 2 está relacionada con la obesidad y el sedentarismo.",
           "El tratamiento comienza con la dieta y el ejercicio; la metformina es el fármaco de primera elección. "
           "Los pacientes deben revisarse los pies y los ojos cada año."],
    "de": ["Kapitel 5 Diabetes mellitus",
           "Diabetes mellitus ist eine chronische Stoffwechselkrankheit mit erhöhtem Blutzucker. Der Typ-2-Diabetes "
           "hängt mit Übergewicht und Bewegungsmangel zusammen.",
           "Die Behandlung beginnt mit Ernährung und Bewegung; Metformin ist das Mittel der ersten Wahl. Patienten "
           "sollten ihre Füße und Augen jährlich untersuchen lassen."],
    "ar": ["الفصل الخامس: داء السكري",
           "داء السكري مرض استقلابي مزمن يتميز بارتفاع مستوى السكر في الدم. ويرتبط النوع الثاني من السكري بالسمنة "
           "وقلة النشاط البدني.",
           "يبدأ العلاج بالنظام الغذائي والرياضة، والميتفورمين هو الدواء الأول عادة. ويجب على المرضى فحص أقدامهم "
           "وعيونهم كل عام."],
}
RIGHT_TO_LEFT = {"ar"}
BODY_PT = 11  # body text size of a printed textbook


@dataclass(frozen=True)
class ScanVariant:
    """How a page is scanned: resolution, rotation of the sheet on the glass, layout, scanner noise."""

    dpi: int
    skew_degrees: float = 0.0
    columns: int = 1
    noise: float = 0.0  # standard deviation of the Gaussian noise added to each pixel (0-255 scale)


VARIANTS: dict[str, ScanVariant] = {
    "clean-300": ScanVariant(300),
    "clean-150": ScanVariant(150),
    "skewed-150": ScanVariant(150, skew_degrees=2.0),
    "two-columns-150": ScanVariant(150, columns=2),
    "noisy-150": ScanVariant(150, noise=40.0),
}


def _page_html(lang: str, paragraphs: list[str]) -> str:
    direction = "rtl" if lang in RIGHT_TO_LEFT else "ltr"
    body = "".join(f"<p style='margin:0 0 8pt 0'>{html.escape(p)}</p>" for p in paragraphs)
    return f"<div lang='{lang}' dir='{direction}' style='font-size:{BODY_PT}pt; line-height:1.4'>{body}</div>"


def typeset_language_page(lang: str, columns: int = 1) -> pymupdf.Document:
    """A one-page typeset PDF: the title across the page, then the paragraphs in `columns` columns."""
    title, *paragraphs = LANGUAGE_PAGES[lang]
    doc = pymupdf.open()
    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    margin, gutter = 40, 30
    page.insert_htmlbox(pymupdf.Rect(margin, 30, PAGE_W - margin, 70), _page_html(lang, [title]))
    width = (PAGE_W - 2 * margin - gutter * (columns - 1)) / columns
    # one paragraph per column when there are columns; in right-to-left scripts the first column is on the right
    groups = [paragraphs] if columns == 1 else [paragraphs[i::columns] for i in range(columns)]
    for i, group in enumerate(groups):
        slot = columns - 1 - i if lang in RIGHT_TO_LEFT else i
        x0 = margin + slot * (width + gutter)
        page.insert_htmlbox(pymupdf.Rect(x0, 70, x0 + width, PAGE_H - 30), _page_html(lang, group))
    return doc


def scan_image(page: pymupdf.Page, variant: ScanVariant, seed: int = 0) -> bytes:
    """PNG bytes of the page as a scanner of this variant would deliver it."""
    zoom = variant.dpi / 72
    pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom).prerotate(variant.skew_degrees), alpha=False,
                          colorspace=pymupdf.csGRAY)
    if variant.noise:
        pixels = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width).astype(np.float32)
        pixels += np.random.default_rng(seed).normal(0.0, variant.noise, pixels.shape)
        noisy = np.clip(pixels, 0, 255).astype(np.uint8)
        pix = pymupdf.Pixmap(pymupdf.csGRAY, pix.width, pix.height, noisy.tobytes(), False)
    return pix.tobytes("png")


def make_language_scan(path: str | Path, lang: str, variant: str) -> Path:
    """A scanned book page (image only, no text layer) in `lang`; returns its path."""
    source = typeset_language_page(lang, VARIANTS[variant].columns)
    png = scan_image(source[0], VARIANTS[variant])
    doc = pymupdf.open()
    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    page.insert_image(page.rect, stream=png)
    doc.save(path)
    return Path(path)


# A Japanese page set vertically (tategaki): columns top to bottom, read from the right.
VERTICAL_JA_COLUMNS = ["糖尿病は血糖値が高い状態が続く", "慢性の代謝疾患である。治療は食", "事療法と運動療法から始める。"]


def make_vertical_ja_scan(path: str | Path, dpi: int = 150, skew_degrees: float = 0.0) -> Path:
    """A scanned page of vertical Japanese (image only); its reference text is VERTICAL_JA_COLUMNS joined."""
    scratch = pymupdf.open()
    src = scratch.new_page(width=PAGE_W, height=PAGE_H)
    size = 14
    for col, text in enumerate(VERTICAL_JA_COLUMNS):
        x = PAGE_W - 80 - col * 1.6 * size
        for row, ch in enumerate(text):
            src.insert_text((x, 50 + row * 1.15 * size), ch, fontname="japan", fontsize=size)
    doc = pymupdf.open()
    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    page.insert_image(page.rect, stream=scan_image(src, ScanVariant(dpi, skew_degrees)))
    doc.save(path)
    return Path(path)


def language_reference(lang: str) -> str:
    """What a reader gets from a language page: the title and the paragraphs, in reading order."""
    return "\n\n".join(LANGUAGE_PAGES[lang])


# ---------------------------------------------------------------------------------------------------- held-out set
# Book-like pages for scripts/bench_ocr.py: A5, 10 pt serif text (Noto Serif, Noto Serif CJK, Noto Naskh Arabic from
# the Debian font packages), 600-1,100 characters with units, diacritics and Latin drug names inside non-Latin text,
# each scanned in the layouts of HELDOUT_LAYOUTS at 200 and 300 dpi.

# A held-out page per language: a title, paragraphs, and a drug table (header + rows), written for this project.
HELDOUT_PAGES: dict[str, list[str]] = {
    "en": ["Chapter 12. Community-Acquired Pneumonia in Adults",
           "Community-acquired pneumonia remains a leading cause of hospital admission in patients over 65 years. "
           "Typical symptoms are fever above 38.5 °C, productive cough, pleuritic chest pain and dyspnoea; elderly "
           "patients may present only with confusion or falls. A respiratory rate of 30/min or more, systolic blood "
           "pressure below 90 mmHg and urea above 7 mmol/L indicate severe disease (CURB-65 score of 3 or higher).",
           "Streptococcus pneumoniae is the most frequent pathogen, followed by Haemophilus influenzae and "
           "Mycoplasma pneumoniae. In outpatients, amoxicillin 1 g three times daily for 5 days is usually "
           "sufficient; clarithromycin 500 mg twice daily is an alternative in penicillin allergy.",
           "Patients admitted to hospital receive ceftriaxone 2 g once daily intravenously, often combined with a "
           "macrolide. Oxygen saturation should be kept between 94 and 98 %, or 88-92 % in chronic hypercapnia. "
           "Clinical response is expected within 48-72 hours."],
    "zh": ["第十二章 社区获得性肺炎",
           "社区获得性肺炎是老年患者住院的主要原因之一。典型症状包括发热（体温高于38.5 °C）、咳嗽、咳痰、胸痛和呼吸困难；"
           "老年患者可仅表现为意识模糊或跌倒。呼吸频率≥30次/分、收缩压低于90 mmHg、血尿素高于7 mmol/L提示病情严重。",
           "肺炎链球菌是最常见的病原体，其次为流感嗜血杆菌和肺炎支原体。门诊患者可口服阿莫西林（amoxicillin）1 g，"
           "每日3次，疗程5天；对青霉素过敏者可选用克拉霉素（clarithromycin）500 mg，每日2次。",
           "住院患者静脉滴注头孢曲松（ceftriaxone）2 g，每日1次，常联合大环内酯类药物。血氧饱和度应维持在94%～98%，"
           "慢性高碳酸血症患者为88%～92%。一般在48～72小时内可见临床好转，否则应重新评估诊断并复查胸部X线片。",
           "预防措施同样重要。65岁以上老人及慢性心肺疾病患者应接种肺炎球菌疫苗和每年的流感疫苗。吸烟者应戒烟，"
           "糖尿病患者应将糖化血红蛋白控制在7.0%以下。出院前应评估患者的吞咽功能、营养状态和活动能力，"
           "并安排在6周后复诊，必要时复查胸部CT以排除肺癌等基础疾病。",
           "对于重症患者，应在入院后1小时内给予抗菌药物，并监测乳酸、肌酐和血小板计数。若出现感染性休克，"
           "应在3小时内静脉输注晶体液30 ml/kg，平均动脉压目标为65 mmHg以上。必要时加用去甲肾上腺素（norepinephrine），"
           "并转入重症监护病房进一步治疗。"],
    "ja": ["第12章 市中肺炎",
           "市中肺炎は65歳以上の患者における入院の主な原因の一つである。典型的な症状は38.5 °C以上の発熱、湿性咳嗽、"
           "胸膜痛および呼吸困難であるが、高齢者では意識障害や転倒のみで発症することもある。呼吸数30回/分以上、"
           "収縮期血圧90 mmHg未満、尿素窒素の上昇は重症を示唆する。",
           "最も頻度の高い起炎菌は肺炎球菌であり、インフルエンザ菌、マイコプラズマがこれに続く。外来患者には"
           "アモキシシリン（amoxicillin）1回500 mgを1日3回、5日間投与する。ペニシリンアレルギーの場合は"
           "クラリスロマイシン（clarithromycin）を用いる。",
           "入院患者にはセフトリアキソン（ceftriaxone）2 gを1日1回点滴静注し、マクロライド系薬を併用することが多い。"
           "酸素飽和度は94～98%を目標とし、慢性高二酸化炭素血症では88～92%とする。48～72時間以内に臨床的改善が"
           "みられない場合は、診断を再検討する。",
           "予防も重要である。65歳以上の高齢者や慢性心肺疾患を有する患者には、肺炎球菌ワクチンと毎年の"
           "インフルエンザワクチンの接種が推奨される。喫煙者には禁煙を指導し、糖尿病患者ではHbA1cを7.0%未満に"
           "保つ。退院前には嚥下機能、栄養状態および日常生活動作を評価する。",
           "重症例では入院後1時間以内に抗菌薬を開始し、乳酸値、クレアチニン、血小板数を監視する。敗血症性"
           "ショックを伴う場合は、晶質液30 ml/kgを3時間以内に投与し、平均動脈圧65 mmHg以上を目標とする。"],
    "fr": ["Chapitre 12. Pneumonie aiguë communautaire de l'adulte",
           "La pneumonie communautaire reste une cause majeure d'hospitalisation après 65 ans. Les signes typiques "
           "sont une fièvre supérieure à 38,5 °C, une toux productive, une douleur thoracique et une dyspnée ; chez "
           "le sujet âgé, une confusion ou une chute peut être le seul symptôme. Une fréquence respiratoire ≥ 30/min, "
           "une pression artérielle systolique < 90 mmHg et une urée > 7 mmol/L témoignent d'une forme grave.",
           "Le pneumocoque est le germe le plus fréquent, suivi d'Haemophilus influenzae et de Mycoplasma "
           "pneumoniae. En ambulatoire, l'amoxicilline 1 g trois fois par jour pendant 5 jours suffit le plus "
           "souvent ; la clarithromycine 500 mg deux fois par jour est une alternative en cas d'allergie.",
           "À l'hôpital, la ceftriaxone 2 g par jour est administrée par voie intraveineuse, souvent associée à un "
           "macrolide. La saturation en oxygène doit être maintenue entre 94 et 98 %. Une amélioration est attendue "
           "en 48 à 72 heures ; sinon, le diagnostic doit être réévalué."],
    "ru": ["Глава 12. Внебольничная пневмония у взрослых",
           "Внебольничная пневмония остаётся одной из ведущих причин госпитализации пациентов старше 65 лет. "
           "Типичные симптомы: лихорадка выше 38,5 °C, кашель с мокротой, плевральная боль и одышка; у пожилых "
           "больных заболевание может проявляться лишь спутанностью сознания. Частота дыхания ≥ 30/мин, "
           "систолическое давление ниже 90 мм рт. ст. и мочевина выше 7 ммоль/л указывают на тяжёлое течение.",
           "Наиболее частый возбудитель — Streptococcus pneumoniae, реже встречаются Haemophilus influenzae и "
           "Mycoplasma pneumoniae. Амбулаторным пациентам назначают амоксициллин (Amoxicillin) по 1 г три раза в "
           "сутки в течение 5 дней; при аллергии на пенициллины — кларитромицин (Clarithromycin) по 500 мг.",
           "В стационаре вводят цефтриаксон (Ceftriaxone) 2 г внутривенно один раз в сутки, часто в сочетании с "
           "макролидом. Сатурацию кислорода поддерживают на уровне 94–98 %. Улучшение ожидается через 48–72 часа."],
    "es": ["Capítulo 12. Neumonía adquirida en la comunidad",
           "La neumonía adquirida en la comunidad sigue siendo una causa importante de ingreso hospitalario en "
           "mayores de 65 años. Los síntomas típicos son fiebre superior a 38,5 °C, tos productiva, dolor torácico "
           "pleurítico y disnea; en el anciano puede manifestarse solo con confusión o caídas. Una frecuencia "
           "respiratoria ≥ 30/min, presión sistólica < 90 mmHg y urea > 7 mmol/L indican gravedad.",
           "El neumococo es el patógeno más frecuente, seguido de Haemophilus influenzae y Mycoplasma pneumoniae. "
           "En pacientes ambulatorios suele bastar amoxicilina 1 g cada 8 horas durante 5 días; la claritromicina "
           "500 mg cada 12 horas es una alternativa en caso de alergia a la penicilina.",
           "Los pacientes ingresados reciben ceftriaxona 2 g al día por vía intravenosa, a menudo junto con un "
           "macrólido. La saturación de oxígeno debe mantenerse entre el 94 y el 98 %. La mejoría clínica se espera "
           "en 48-72 horas; si no ocurre, hay que reevaluar el diagnóstico."],
    "de": ["Kapitel 12. Ambulant erworbene Pneumonie",
           "Die ambulant erworbene Pneumonie ist eine der häufigsten Ursachen für eine Krankenhausaufnahme bei "
           "Patienten über 65 Jahren. Typische Symptome sind Fieber über 38,5 °C, produktiver Husten, "
           "atemabhängige Thoraxschmerzen und Dyspnoe; ältere Menschen fallen oft nur durch Verwirrtheit oder "
           "Stürze auf. Eine Atemfrequenz ≥ 30/min, ein systolischer Blutdruck < 90 mmHg und Harnstoff "
           "> 7 mmol/l sprechen für einen schweren Verlauf.",
           "Häufigster Erreger ist Streptococcus pneumoniae, gefolgt von Haemophilus influenzae und Mycoplasma "
           "pneumoniae. Ambulant genügt meist Amoxicillin 1 g dreimal täglich über 5 Tage; bei Penicillinallergie "
           "ist Clarithromycin 500 mg zweimal täglich eine Alternative.",
           "Stationäre Patienten erhalten Ceftriaxon 2 g einmal täglich intravenös, häufig zusammen mit einem "
           "Makrolid. Die Sauerstoffsättigung soll zwischen 94 und 98 % liegen. Eine Besserung ist nach 48 bis "
           "72 Stunden zu erwarten."],
    "ar": ["الفصل الثاني عشر: الالتهاب الرئوي المكتسب من المجتمع",
           "يظل الالتهاب الرئوي المكتسب من المجتمع من أهم أسباب دخول المستشفى لدى المرضى الذين تجاوزوا 65 عامًا. "
           "وتشمل الأعراض النموذجية الحمى التي تزيد على 38.5 درجة مئوية والسعال المصحوب بالبلغم وألم الصدر وضيق "
           "التنفس، وقد يقتصر المرض لدى المسنين على التشوش الذهني أو السقوط. ويدل معدل التنفس الذي يبلغ 30 مرة في "
           "الدقيقة أو أكثر وانخفاض ضغط الدم الانقباضي عن 90 ملم زئبق على شدة المرض.",
           "تعد المكورات الرئوية أكثر العوامل الممرضة شيوعًا، تليها المستدمية النزلية والمفطورة الرئوية. ويكفي "
           "في العيادة الخارجية عادة إعطاء الأموكسيسيلين Amoxicillin بجرعة 1 غرام ثلاث مرات يوميًا لمدة 5 أيام، "
           "ويستخدم الكلاريثروميسين Clarithromycin عند الحساسية للبنسلين.",
           "ويعطى المرضى في المستشفى السيفترياكسون Ceftriaxone بجرعة 2 غرام مرة واحدة يوميًا عن طريق الوريد. "
           "ويجب أن تبقى نسبة تشبع الأكسجين بين 94 و98 في المئة، ويتوقع التحسن خلال 48 إلى 72 ساعة."],
}
# the table layout: header and rows (drug, dose, route), read row by row
HELDOUT_TABLES: dict[str, list[list[str]]] = {
    "en": [["Drug", "Dose", "Route"], ["Amoxicillin", "1 g every 8 h", "oral"],
           ["Clarithromycin", "500 mg every 12 h", "oral"], ["Ceftriaxone", "2 g daily", "i.v."],
           ["Levofloxacin", "750 mg daily", "oral or i.v."]],
    "zh": [["药物", "剂量", "途径"], ["阿莫西林 Amoxicillin", "1 g，每8小时", "口服"],
           ["克拉霉素 Clarithromycin", "500 mg，每12小时", "口服"], ["头孢曲松 Ceftriaxone", "2 g，每日1次", "静脉"],
           ["左氧氟沙星 Levofloxacin", "750 mg，每日1次", "口服或静脉"]],
    "ja": [["薬剤", "用量", "投与経路"], ["アモキシシリン Amoxicillin", "500 mg 1日3回", "経口"],
           ["クラリスロマイシン", "200 mg 1日2回", "経口"], ["セフトリアキソン", "2 g 1日1回", "点滴静注"],
           ["レボフロキサシン", "500 mg 1日1回", "経口"]],
    "fr": [["Médicament", "Posologie", "Voie"], ["Amoxicilline", "1 g toutes les 8 h", "orale"],
           ["Clarithromycine", "500 mg toutes les 12 h", "orale"], ["Ceftriaxone", "2 g par jour", "i.v."],
           ["Lévofloxacine", "750 mg par jour", "orale ou i.v."]],
    "ru": [["Препарат", "Доза", "Путь"], ["Амоксициллин", "1 г каждые 8 ч", "внутрь"],
           ["Кларитромицин", "500 мг каждые 12 ч", "внутрь"], ["Цефтриаксон", "2 г в сутки", "в/в"],
           ["Левофлоксацин", "750 мг в сутки", "внутрь, в/в"]],
    "es": [["Fármaco", "Dosis", "Vía"], ["Amoxicilina", "1 g cada 8 h", "oral"],
           ["Claritromicina", "500 mg cada 12 h", "oral"], ["Ceftriaxona", "2 g al día", "i.v."],
           ["Levofloxacino", "750 mg al día", "oral o i.v."]],
    "de": [["Wirkstoff", "Dosis", "Gabe"], ["Amoxicillin", "1 g alle 8 Std.", "oral"],
           ["Clarithromycin", "500 mg alle 12 Std.", "oral"], ["Ceftriaxon", "2 g täglich", "i.v."],
           ["Levofloxacin", "750 mg täglich", "oral oder i.v."]],
    "ar": [["الدواء", "الجرعة", "الطريق"], ["الأموكسيسيلين", "1 غرام كل 8 ساعات", "الفم"],
           ["الكلاريثروميسين", "500 ملغ كل 12 ساعة", "الفم"], ["السيفترياكسون", "2 غرام يوميًا", "الوريد"],
           ["الليفوفلوكساسين", "750 ملغ يوميًا", "الفم أو الوريد"]],
}

HELDOUT_LAYOUTS = ("clean", "noisy", "rotated", "two-column", "table", "low-contrast-jpeg")
HELDOUT_DPIS = (200, 300)
A5_W, A5_H, A5_MARGIN = 420, 595, 42
GUTTER_PT = 7.6 / 25.4 * 72  # a 7.6 mm gutter between two columns
FONT_DIR = "/usr/share/fonts"
FONT_FAMILY = {"zh": "SerifCJK", "ja": "SerifCJK", "ar": "Naskh"}
HELDOUT_CSS = """
@font-face {font-family: Serif; src: url(truetype/noto/NotoSerif-Regular.ttf);}
@font-face {font-family: SerifCJK; src: url(opentype/noto/NotoSerifCJK-Regular.ttc);}
@font-face {font-family: Naskh; src: url(truetype/noto/NotoNaskhArabic-Regular.ttf);}
body {font-family: %s; font-size: 10pt; line-height: 1.35;}
p {margin: 0 0 6pt 0; text-align: justify;}
h1 {font-size: 12pt; margin: 0 0 8pt 0;}
td {padding: 2pt 6pt; border: 0.5pt solid black;}
table {border-collapse: collapse; margin: 4pt 0 8pt 0;}
"""


def heldout_blocks(lang: str, layout: str) -> list[str | list[list[str]]]:
    """The page in reading order: the title, paragraphs, and for `table` a table after the first paragraph (the
    last paragraph is left out so that the page stays within 1,100 characters)."""
    title, *paragraphs = HELDOUT_PAGES[lang]
    if layout != "table":
        return [title, *paragraphs]
    return [title, paragraphs[0], HELDOUT_TABLES[lang], *paragraphs[1:-1]]


def heldout_reference(lang: str, layout: str) -> str:
    """The printed text in reading order (tables row by row)."""
    parts = [b if isinstance(b, str) else "\n".join(" ".join(row) for row in b) for b in heldout_blocks(lang, layout)]
    return "\n\n".join(parts)


def _heldout_story(lang: str, layout: str) -> pymupdf.Story:
    parts = []
    for i, block in enumerate(heldout_blocks(lang, layout)):
        if isinstance(block, str):
            parts.append(f"<h1>{html.escape(block)}</h1>" if i == 0 else f"<p>{html.escape(block)}</p>")
        else:
            rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in block)
            parts.append(f"<table>{rows}</table>")
    direction = "rtl" if lang in RIGHT_TO_LEFT else "ltr"
    body = f"<body dir='{direction}' lang='{lang}'>{''.join(parts)}</body>"
    return pymupdf.Story(body, user_css=HELDOUT_CSS % FONT_FAMILY.get(lang, "Serif"),
                         archive=pymupdf.Archive(FONT_DIR))


def _column_rects(lang: str, layout: str) -> list[pymupdf.Rect]:
    """One text area, or two columns (the first on the right in right-to-left scripts) just tall enough that the
    text runs on from the first into the second."""
    full = pymupdf.Rect(A5_MARGIN, A5_MARGIN, A5_W - A5_MARGIN, A5_H - A5_MARGIN)
    if layout != "two-column":
        return [full]
    width = (full.width - GUTTER_PT) / 2
    _more, filled = _heldout_story(lang, layout).place(pymupdf.Rect(0, 0, width, 10 * A5_H))
    bottom = min(full.y0 + pymupdf.Rect(filled).height / 2 + 14, full.y1)
    rects = [pymupdf.Rect(full.x0, full.y0, full.x0 + width, bottom),
             pymupdf.Rect(full.x1 - width, full.y0, full.x1, bottom)]
    return rects[::-1] if lang in RIGHT_TO_LEFT else rects


def typeset_heldout_page(lang: str, layout: str) -> pymupdf.Document:
    """The page as a one-page typeset PDF."""
    buffer = io.BytesIO()
    writer = pymupdf.DocumentWriter(buffer)
    device = writer.begin_page(pymupdf.Rect(0, 0, A5_W, A5_H))
    story = _heldout_story(lang, layout)
    more = 1
    for rect in _column_rects(lang, layout):
        more, _filled = story.place(rect)
        story.draw(device)
        if not more:
            break
    writer.end_page()
    writer.close()
    if more:
        raise ValueError(f"held-out page {lang} {layout}: the text does not fit on the page")
    return pymupdf.open("pdf", buffer.getvalue())


def scan_heldout_image(page: pymupdf.Page, layout: str, dpi: int, seed: int = 0) -> tuple[bytes, str]:
    """(image bytes, extension) of the page as a scanner delivers it in `layout`."""
    pix = page.get_pixmap(matrix=pymupdf.Matrix(dpi / 72, dpi / 72).prerotate(1.5 if layout == "rotated" else 0.0),
                          alpha=False, colorspace=pymupdf.csGRAY)
    pixels = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width).astype(np.float32)
    rng = np.random.default_rng(seed)
    if layout == "noisy":  # scanner noise and dust specks
        pixels += rng.normal(0.0, 30.0, pixels.shape)
        pixels[rng.random(pixels.shape) < 0.002] = 0.0
    if layout == "low-contrast-jpeg":  # faded print on grey paper, saved as a strongly compressed JPEG
        pixels = 95.0 + pixels * (200.0 - 95.0) / 255.0
    gray = pymupdf.Pixmap(pymupdf.csGRAY, pix.width, pix.height, np.clip(pixels, 0, 255).astype(np.uint8).tobytes(),
                          False)
    gray.set_dpi(dpi, dpi)
    if layout == "low-contrast-jpeg":
        return gray.tobytes("jpg", jpg_quality=40), "jpg"
    return gray.tobytes("png"), "png"


def make_heldout_scan(folder: str | Path, lang: str, layout: str, dpi: int) -> tuple[Path, Path]:
    """(image-only PDF, the scanned image beside it) of one held-out page; the image is what plain Tesseract reads."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    image, ext = scan_heldout_image(typeset_heldout_page(lang, layout)[0], layout, dpi)
    stem = folder / f"heldout-{lang}-{layout}-{dpi}"
    image_path = stem.with_suffix(f".{ext}")
    image_path.write_bytes(image)
    doc = pymupdf.open()
    page = doc.new_page(width=A5_W, height=A5_H)
    page.insert_image(page.rect, stream=image)
    doc.save(stem.with_suffix(".pdf"))
    return stem.with_suffix(".pdf"), image_path


def add_text_page(doc: pymupdf.Document, lines: list[str]) -> None:
    """A title, then the other lines as one paragraph (one text block, as typesetting software writes it)."""
    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    page.insert_text((40, 50), lines[0], fontname="helv", fontsize=13)
    page.insert_text((40, 90), "\n".join(lines[1:]), fontname="helv", fontsize=11)


def add_scanned_page(doc: pymupdf.Document, layout: list[tuple[str, str, int, int]]) -> None:
    """Typeset the layout on a scratch page, rasterise it, and insert only the picture (no text layer)."""
    scratch = pymupdf.open()
    src = scratch.new_page(width=PAGE_W, height=PAGE_H)
    for text, font, x, y in layout:
        src.insert_text((x, y), text, fontname=font, fontsize=12)
    png = src.get_pixmap(dpi=SCAN_DPI).tobytes("png")
    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    page.insert_image(page.rect, stream=png)


def make_sample_pdfs(out_dir: str | Path) -> dict[str, Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / f"{name}.pdf" for name in ("text", "scanned", "mixed", "encrypted", "truncated")}

    doc = pymupdf.open()
    for lines in TEXT_PAGES:
        add_text_page(doc, lines)
    doc.save(paths["text"])
    text_bytes = paths["text"].read_bytes()

    doc = pymupdf.open()
    add_scanned_page(doc, SCANNED_LAYOUT)
    doc.save(paths["scanned"])

    doc = pymupdf.open()
    add_text_page(doc, TEXT_PAGES[0])
    add_scanned_page(doc, MIXED_SCAN_LAYOUT)
    doc.save(paths["mixed"])

    doc = pymupdf.open()
    add_text_page(doc, TEXT_PAGES[1])
    doc.save(paths["encrypted"], encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")

    paths["truncated"].write_bytes(text_bytes[:64])  # the header and a few bytes: what an aborted download leaves
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", default="outputs/demo/pdfs", help="folder for the PDFs")
    parser.add_argument("--langs", default="", help="comma-separated languages: write scanned language pages instead")
    parser.add_argument("--variant", default="clean-150", choices=sorted(VARIANTS), help="scan variant (with --langs)")
    args = parser.parse_args()
    if args.langs:
        Path(args.output).mkdir(parents=True, exist_ok=True)
        for lang in args.langs.split(","):
            print(make_language_scan(Path(args.output) / f"scan-{lang}-{args.variant}.pdf", lang, args.variant))
        return
    for name, path in make_sample_pdfs(args.output).items():
        print(f"{name:10s} {path}")


if __name__ == "__main__":
    main()
