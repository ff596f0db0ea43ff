"""data_collection/sources/page_encoding.py: the text of a saved page in any of our languages' encodings."""

from __future__ import annotations

import pytest

from data_collection.sources.page_encoding import UndecodableError, decode_page

TEXTS = {
    "fr": ("La grippe saisonnière est une infection virale aiguë; la fièvre élevée et les céphalées sont fréquentes.",
           "latin-1"),
    "de": ("Die Grippe ist eine akute Infektionskrankheit. Häufige Symptome sind Fieber und Müdigkeit; Ältere "
           "sollten sich impfen lassen.", "cp1252"),
    "es": ("La diabetes es una enfermedad crónica; el médico recomendó insulina y una dieta sin azúcar.", "latin-1"),
    "ru": ("Пневмония - воспаление лёгких, обычно инфекционного происхождения. Симптомы: кашель, лихорадка.",
           "cp1251"),
    "ru-koi8": ("Пневмония - воспаление лёгких, обычно инфекционного происхождения.", "koi8_r"),
    "zh": ("高血压是一种常见的慢性疾病，糖尿病患者需要定期监测血糖。医生建议患者低盐饮食并按时服药。", "gb18030"),
    "ja": ("高血圧は日本で最も多い生活習慣病の一つです。降圧薬の服用と減塩が推奨されます。", "shift_jis"),
    "ja-euc": ("高血圧は日本で最も多い生活習慣病の一つです。降圧薬の服用と減塩が推奨されます。", "euc_jp"),
    "ar": ("السكري مرض مزمن يحدث عندما لا ينتج البنكرياس ما يكفي من الأنسولين. الأعراض تشمل العطش الشديد.",
           "cp1256"),
}


def _page(text: str) -> str:
    return f"<html><head><title>x</title></head><body><article><p>{text}</p></article></body></html>"


@pytest.mark.parametrize("case", list(TEXTS))
def test_pages_without_a_charset_decode_exactly(case):
    text, encoding = TEXTS[case]
    assert decode_page(_page(text).encode(encoding))[0] == _page(text)


def test_a_declared_charset_is_used_only_when_the_bytes_fit_it():
    text = _page("La grippe saisonnière")
    assert decode_page(text.encode("latin-1"), "text/html; charset=ISO-8859-1") == (text, "cp1252")
    assert decode_page(text.encode("utf-8"), "text/html; charset=ISO-8859-1") == (text, "utf_8")  # mislabelled
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=shift_jis">' + _page("高血圧")
    assert decode_page(meta.encode("shift_jis"))[0] == meta
    wrong = '<meta charset="utf-8">' + text
    assert decode_page(wrong.encode("latin-1"))[0] == wrong  # says utf-8, is Latin-1: detected


def test_binary_bytes_are_an_error():
    with pytest.raises(UndecodableError):
        decode_page(bytes(range(256)) * 8)
