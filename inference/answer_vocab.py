"""The words a reader uses to find a chosen answer, in the six MMedBench languages and the suite's German, Italian,
Korean, Arabic and Hindi (regex fragments).

Kept apart from the rules in `inference/parse.py` so that adding a phrase is a one-line data change. Keywords are
matched ignoring case. Every fragment is a plain alternative; parse.py compiles them once at import.
"""

from __future__ import annotations

# Words that announce the answer; a list of option labels (or an option's text, or its number) follows.
CUES: tuple[str, ...] = (
    # English
    r"(?:the\s+)?(?:correct\s+|right\s+|final\s+|best\s+|most\s+likely\s+)?answers?",
    r"(?:the\s+)?(?:correct|right|best)\s+(?:options?|choices?)",
    r"i\s+(?:would\s+|will\s+|'d\s+)?(?:choose|select|pick|go\s+with)",
    # French
    r"(?:les?\s+|la\s+)?(?:bonnes?\s+)?r[ée]ponses?(?:\s+(?:correctes?|exactes?|justes?))?",
    r"(?:les?\s+|la\s+)?propositions?\s+(?:correctes?|exactes?|justes?)",
    r"je\s+choisis",
    # Spanish
    r"(?:las?\s+)?respuestas?(?:\s+(?:correctas?|adecuadas?))?",
    r"(?:las?\s+)?opci[óo]n(?:es)?\s+(?:correctas?|adecuadas?|verdaderas?)",
    r"elijo",
    # Russian
    r"(?:правильн\w*\s+|верн\w*\s+)?ответ\w*",
    r"(?:правильн\w*|верн\w*)\s+вариант\w*(?:\s+ответа)?",
    r"вариант\w*\s+ответа",
    r"выбираю",
    # Chinese
    r"(?:正确|最佳)?答案(?:应该|应)?",
    r"(?:正确|最佳)选项",
    r"(?:故|因此|所以|本题|应|应该)?选(?:择)?",
    # Japanese
    r"正解",
    r"正答",
    r"解答",
    r"答え",
    r"答",  # last: "答え" and "答案" must be tried first
    # German
    r"(?:die\s+)?(?:richtige\s+|korrekte\s+|beste\s+)?antwort(?:en)?",
    r"(?:die\s+)?(?:richtige|korrekte)\s+(?:option|auswahl|wahl)",
    r"ich\s+w[äa]hle",
    # Italian
    r"(?:la\s+|le\s+)?rispost[ae](?:\s+(?:corrett[ae]|giust[ae]|esatt[ae]))?",
    r"(?:l['’]\s*)?opzion[ei]\s+(?:corrett[ae]|giust[ae])",
    r"scelgo",
    # Korean
    r"정답(?:은|는)?",
    # Arabic
    r"(?:ال)?إجابة(?:\s+(?:ال)?صحيحة)?",
    r"(?:ال)?جواب(?:\s+(?:ال)?صحيح)?",
    r"(?:ال)?خيار\s+(?:ال)?صحيح",
    # Hindi
    r"(?:सही\s+)?उत्तर",
    r"सही\s+विकल्प",
)

# What may stand between a cue and the label: copulas, articles, "option", colons, dashes, brackets.
FILLERS: tuple[str, ...] = (
    r"is", r"are", r"would\s+be", r"might\s+be", r"may\s+be", r"could\s+be", r"should\s+be", r"will\s+be", r"must\s+be", r"the", r"option", r"options",
    r"choice", r"letter", r"est", r"sont", r"serait", r"seraient", r"la", r"le", r"les", r"l'", r"l’",
    r"proposition", r"propositions", r"es", r"son", r"sería", r"serían", r"el", r"los", r"las", r"opci[óo]n",
    r"opciones", r"letra", r"—", r"–", r"-", r":", r"=", r"вариант\w*", r"под\s+буквой", r"буква",
    r"i\s+think", r"i\s+believe", r"probably", r"likely", r"most\s+likely", r"clearly", r"definitely", r"here",
    r"это", r"是", r"为", r"為", r"选项", r"選択肢", r"は", r"とは", r"应为", r"\(", r"\[", r"«", r"\"",
    r"ist", r"lautet", r"wäre", r"die", r"è", r"sarebbe", r"l'opzione", r"opzione", r"هي", r"هو", r"الخيار", r"है",
    r"विकल्प", r"번",
)

# Words joining two labels into one answer ("A and C", "BとE", "A y C", "А и В", "B和E").
AND_WORDS: tuple[str, ...] = (r"and", r"et", r"y", r"и", r"as\s+well\s+as", r"plus", r"und", r"और", r"및")
AND_MARKS: tuple[str, ...] = (r",", r"、", r"/", r"&", r";", r"\+", r"和", r"与", r"及", r"以及", r"と", r"・", r"及び")

# Words between two labels that make the answer a hedge ("B or C"): a reader cannot tell which was chosen.
OR_WORDS: tuple[str, ...] = (r"or", r"ou", r"o", r"u", r"или", r"либо", r"oder", r"oppure", r"أو", r"या", r"또는")
OR_MARKS: tuple[str, ...] = (r"或者", r"或", r"还是", r"または", r"もしくは", r"か")

# Said after labels: "C is correct", "B と E が正解", "选项C正确", "la B est correcte".
PREDICATES: tuple[str, ...] = (
    r"(?:is|are)\s+(?:also\s+)?(?:the\s+)?(?:correct|right|true|best)(?:\s+(?:answers?|options?|choices?))?"
    r"(?!\s+(?:only|if|when|in|for))",
    r"(?:est|sont)\s+(?:aussi\s+)?(?:la\s+|les\s+)?(?:bonnes?|correctes?|exactes?|justes?)(?:\s+r[ée]ponses?)?",
    r"(?:es|son)\s+(?:también\s+)?(?:la\s+|las\s+)?(?:correctas?|verdaderas?|respuestas?\s+correctas?)",
    r"(?:[—–-]\s*)?(?:правильн|верн)\w*(?:\s+ответ\w*)?",
    r"(?:选项)?(?:都|均|也)?(?:是)?(?:正确|对)(?:的)?(?:答案|选项)?",
    r"(?:が|も|は)?(?:正解|正答|正しい)(?!では|じゃ)",
    r"(?:ist|sind)\s+(?:auch\s+)?(?:richtig|korrekt)(?!\s+(?:nur|wenn))",
    r"(?:è|sono)\s+(?:anche\s+)?(?:corrett[aoie]|giust[aoie]|esatt[aoie])",
    r"(?:번\s*)?(?:이|가)\s*정답",
    r"सही\s+(?:उत्तर\s+)?है",
    r"(?:هي|هو)\s+(?:الإجابة\s+)?الصحيح(?:ة)?",
)

# What makes a following statement add to the answer line ("OPTION D IS ALSO CORRECT.").
ALSO_PREDICATES: tuple[str, ...] = (
    r"(?:is|are)\s+also\s+(?:correct|right|true)",
    r"(?:est|sont)\s+aussi\s+(?:correctes?|exactes?|justes?)",
    r"(?:es|son)\s+también\s+(?:correctas?|verdaderas?)",
    r"(?:тоже|также)\s+(?:правильн|верн)\w*",
    r"也(?:是)?(?:正确|对)(?:的)?",
    r"も(?:正解|正しい)",
)

# Words after a label that still leave it a label ("a is correct", "A because ..."), not an article or pronoun.
LINK_WORDS: tuple[str, ...] = (
    r"is", r"are", r"and", r"or", r"because", r"since", r"as", r"which", r"et", r"ou", r"car", r"est", r"y",
    r"o", r"es", r"porque", r"pues", r"и", r"или", r"так", r"потому", r"поскольку",
    r"und", r"oder", r"ist", r"weil", r"e", r"oppure", r"è", r"perché",
)

# Leading words dropped before comparing a reply with an option's text ("la metformina", "L'hypoglycémie").
ARTICLES: tuple[str, ...] = (r"the", r"a", r"an", r"la", r"le", r"les", r"l'", r"l’", r"el", r"los", r"las", r"un",
                             r"une", r"una", r"des")
# The same as plain words (inference/option_text.py compares words, "l'atropine" is "l" + "atropine").
ARTICLE_WORDS: tuple[str, ...] = ("the", "a", "an", "la", "le", "les", "l", "el", "los", "las", "un", "une", "una",
                                  "des", "d", "de")

# Ordinal words by position (1-5), every form a reader meets: "the second option", "la troisième proposition",
# "la quinta opción", "второй вариант", "第二个选项", "三番目".
ORDINALS: tuple[str, ...] = (
    r"first|premi(?:er|ère)|primer[oa]?|перв\w*|一|1",
    r"second|deuxième|seconde?|segund[oa]|втор\w*|二|2",
    r"third|troisième|tercer[oa]?|трет\w*|三|3",
    r"fourth|quatrième|cuart[oa]|четв[её]рт\w*|四|4",
    r"fifth|cinquième|quint[oa]|пят\w*|五|5",
)
# Words for "option" after an ordinal or before a number ("the third option", "option 2", "вариант 3").
OPTION_WORDS: tuple[str, ...] = (r"options?", r"alternatives?", r"answer\s+choices?", r"propositions?",
                                 r"opci[óo]n(?:es)?", r"alternativas?", r"вариант\w*", r"选项", r"選択肢")

# Said right after labels or an option's text, they deny it: "B is not correct", "Cではなく", "不是", "n'est pas".
NEGATION_AFTER: tuple[str, ...] = (
    r"(?:is|are)\s+(?:not|incorrect|wrong|false|unlikely|excluded)\b", r"isn't", r"aren't",
    r"n'est\s+pas", r"ne\s+sont\s+pas", r"(?:est|sont)\s+(?:fausses?|incorrectes?|exclue?s?)",
    r"no\s+(?:es|son)\b", r"(?:es|son)\s+(?:incorrectas?|falsas?)", r":\s*no\b",
    r"(?:[—–-]\s*)?не\s+(?:является|подходит|верн|правильн)", r"(?:[—–-]\s*)?неверн", r"(?:[—–-]\s*)?неправильн",
    r"では(?:な|あり)", r"じゃな", r"は(?:誤|不正解|否定)", r"が誤", r"不(?:正确|对|是)", r"(?:是)?错误", r"は正しくない",
    r"(?:ist|sind)\s+(?:nicht|falsch)", r"non\s+è", r"(?:è|sono)\s+(?:sbagliat[aoie]|errat[aoie])",
    r"(?:번\s*)?(?:은|는|이|가)?\s*(?:정답이\s+)?아니", r"(?:은|는|이|가)?\s*틀", r"सही\s+नहीं", r"गलत",
    r"(?:ليست?|غير)\s+(?:ال)?صحيح",
)
# Said right before labels or an option's text, they deny it: "not B", "不是B", "не В", "no es la B", "pas la B".
NEGATION_BEFORE: tuple[str, ...] = (r"not", r"no", r"pas", r"ni", r"non", r"не", r"нет", r"不是", r"并非", r"非",
                                    r"rather\s+than", r"instead\s+of", r"plutôt\s+que", r"en\s+lugar\s+de",
                                    r"而不是", r"excluding", r"except")
# "not X but Y": after X, these introduce the answer Y ("it's not A, but B", "答案不是A，而是C", "Не А, а D",
# "La respuesta no es la A, sino la C", "Ce n'est pas A mais B", "AではなくC").
BUT: tuple[str, ...] = (r"but(?:\s+rather)?", r"mais", r"sino(?:\s+que)?", r"а", r"而是", r"而应该是", r"而应是",
                        r"(?:it|this)\s*(?:'s|\s+is)", r"es", r"c'est", r"это")
NOT_BEFORE_X: tuple[str, ...] = (r"not", r"pas", r"no", r"не", r"不是", r"并非")
NOT_AFTER_X: tuple[str, ...] = (r"ではなく(?:て)?", r"じゃなくて?")

# After an answer, these make it a hedge ("A, but it could also be E", "A, pero también podría ser E").
HEDGE_AFTER: tuple[str, ...] = (
    r"but\s+(?:it\s+)?(?:could|might|may)\s+(?:also\s+)?be", r"or\s+(?:possibly|perhaps|maybe)",
    r"pero\s+(?:también\s+)?(?:podría|puede)\s+ser", r"mais\s+(?:ça\s+|cela\s+)?(?:pourrait|peut)\s+(?:aussi\s+)?être",
    r"но\s+(?:также\s+)?(?:может|возможно)", r"(?:也|或)可能是", r"かもしれ",
)

# Contrast words: an output that names an option and then turns ("..., but the question is about ...") is
# reasoning, not an answer, unless a cue or a label says which option was chosen.
CONTRAST: tuple[str, ...] = (r"but", r"however", r"although", r"pero", r"sin\s+embargo", r"aunque", r"mais",
                             r"cependant", r"pourtant", r"bien\s+que", r"но", r"однако", r"хотя", r"但", r"但是",
                             r"然而", r"不过", r"しかし", r"ただし", r"が、")

# Without a cue, an option named in prose is an answer only as the complement of one of these (right before it,
# articles aside: "The most likely diagnosis is Graves disease", "Se trata de una embolia pulmonar", "诊断为急性心肌梗死")
# or followed by one of PROSE_AFTER ("骨粗鬆症と白内障が正解", "Embolia pulmonar: sí"). "Pneumonia would present with
# fever" or "A chest X-ray can show pneumothorax" name an option without choosing it.
PROSE_BEFORE: tuple[str, ...] = (
    r"is", r"are", r"would\s+be", r"must\s+be", r"should\s+be", r"is\s+probably", r"is\s+most\s+likely", r"namely",
    r"start\s+with", r"treat(?:ed)?\s+with", r"caused\s+by",
    r"est", r"sont", r"serait", r"c'est", r"il\s+s'agit\s+d[e']", r"expose\s+à", r"traiter\s+par", r"par",
    r"es", r"son", r"sería", r"se\s+trata\s+de", r"tratar\s+con",
    r"является", r"являются", r"это", r"[—–-]", r"начинать\s+с", r"начать\s+с", r"назначают", r"показан\w*",
    r"поражается", r"поражена", r"поражён",
    r"是", r"为", r"為", r"诊断为", r"考虑为?", r"首选",
    r"は", r"と診断",
)
PROSE_AFTER: tuple[str, ...] = (
    r"\s*[:：]\s*(?:s[ií]|yes|oui|да|是)\b", r"\s*(?:が|も)?(?:正解|正しい|最も考えられる|考えられる)",
    r"\s+(?:is|are)\s+(?:the\s+)?(?:correct|right|answer|most\s+likely)", r"\s*(?:是)?正确",
)
