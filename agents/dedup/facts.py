"""Numeric facts of a news text, for the dedup number guard: numbers in one canonical form,
fractions used as quantities, months and dates. Pure functions, no I/O.

Two texts that each state a fact the other lacks ("3 killed" / "5 killed", inflation "in May" /
"in June") report different news. A fact must therefore read the same however it is written:
"3.000", "3,000", "3 000", "3000", "drei Tausend" and "three thousand" all give "3000";
"2,5 %" gives "2.5"; "€481bn" and "481 milliards" give "481000000000". Fractions give an
approximate percentage ("~66.7" for two-thirds), which matches a number within one point (66,
67). Months give "month:05", a day with its month "date:05-12" too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from agents.text import fold

# Spelled-out counts compared like digits ("trois blessés" vs "sept blessés"). "one", "un",
# "ein" are left out: they are mostly articles.
NUMBER_WORDS = {
    **dict.fromkeys(("two", "deux", "zwei"), "2"),
    **dict.fromkeys(("three", "trois", "drei"), "3"),
    **dict.fromkeys(("four", "quatre", "vier"), "4"),
    **dict.fromkeys(("five", "cinq", "funf"), "5"),
    **dict.fromkeys(("six", "sechs"), "6"),
    **dict.fromkeys(("seven", "sept", "sieben"), "7"),
    **dict.fromkeys(("eight", "huit", "acht"), "8"),
    **dict.fromkeys(("nine", "neuf", "neun"), "9"),
    **dict.fromkeys(("ten", "dix", "zehn"), "10"),
    **dict.fromkeys(("eleven", "onze", "elf"), "11"),
    **dict.fromkeys(("twelve", "douze", "zwolf"), "12"),
}

# Multiplier words after a number, folded. English "billion" is 10^9 (French "milliard"); French
# and German "billion" are 10^12.
_THOUSAND, _MILLION, _BILLION = Decimal(10**3), Decimal(10**6), Decimal(10**9)
_MULTIPLIERS = {
    **dict.fromkeys(("thousand", "thousands", "mille", "tausend"), _THOUSAND),
    **dict.fromkeys(("million", "millions", "millionen", "mio", "m"), _MILLION),
    **dict.fromkeys(("milliard", "milliards", "milliarde", "milliarden", "mrd", "bn"), _BILLION),
    **dict.fromkeys(("billion", "billions", "billionen"), _BILLION),
}
_LONG_SCALE_BILLION = Decimal(10**12)  # fr/de "billion(s)", "Billion(en)"
_MULTIPLIER = (
    r"(?:\s*(thousands?|mille|tausend|millions?|millionen|million|mio\b\.?|milliards?"
    r"|milliarden?|mrd\b\.?|billions?|billionen|bn)|(m))(?![^\W_])"
)
# A number: digit groups of three after "." "," or a (narrow no-break) space ("3.000", "3,000",
# "3 000"), or plain digits; then an optional decimal part ("2,5", "3.5") and multiplier.
# The look-behind after the first digit lets re jump from digit to digit (~3x faster).
_NUMBER = re.compile(
    r"(\d(?<!\d\d)(?:\d{0,2}(?:[.,\u0020\u00a0\u202f]\d{3})+(?!\d)|\d*))(?:[.,](\d+))?"
    + rf"(?:{_MULTIPLIER})?",
    re.IGNORECASE,
)
_GROUP_SEPARATOR = re.compile(r"[.,\u0020\u00a0\u202f]")
# A spelled-out count before a multiplier word, in folded text ("drei tausend", "two million",
# "dreitausend").
_WORD_MULTIPLIER = re.compile(
    rf"(?<![^\W_])({'|'.join(NUMBER_WORDS)})[\s-]*"
    r"(thousands?|mille|tausend|millions?|millionen|million|milliards?|milliarden?|billions?)"
    r"(?![^\W_])"
)
# Folded tokens without which no multiplier word follows a spelled-out count.
_SPELLED_MULTIPLIERS = frozenset(_MULTIPLIERS.keys() - {"m", "mio", "mrd", "bn"}) | {
    f"{count}{word}" for count in NUMBER_WORDS for word in ("tausend", "millionen")
}

# Fractions used as quantities, folded: a fraction after an article or a count and before "of",
# "de", "point" ..., or a German one after "ein"/"zwei"/"drei" (German ordinals are "dritte",
# "vierte"). "first quarter", "la première moitié", "in der ersten Hälfte" are periods.
_FRACTION_WORD = re.compile(
    r"(?<![^\W_])(?:half|moitie|halfte|thirds?|tiers|drittel|quarters?|quarts?|viertel)(?![^\W_])"
)
_DENOMINATORS = {
    **dict.fromkeys(("half", "moitie", "halfte"), 2),
    **dict.fromkeys(("third", "thirds", "tiers", "drittel"), 3),
    **dict.fromkeys(("quarter", "quarters", "quart", "quarts", "viertel"), 4),
}
_ONE = frozenset({"a", "one", "un", "ein", "einem", "einer", "eines"})
_WORD_BEFORE = re.compile(r"([^\W\d_]+)[\s-]*$")
_WORD_AFTER = re.compile(r"[\s-]*([^\W\d_]+)")
# Substrings without which no fraction occurs (also inside "two-thirds", "Zweidrittelmehrheit").
_FRACTION_GATE = ("half", "moitie", "halfte", "third", "tiers", "drittel", "quart", "viertel")
# What follows a fraction used as a quantity in English and French ("two-thirds of", "a quarter
# point", "un tiers des"); German needs nothing ("ein Drittel der Wähler", "die Hälfte").
_QUANTITY_AFTER = frozenset({"of", "the", "point", "percentage", "de", "des", "du", "d"})
_PERIOD_BEFORE = frozenset(
    {"first", "second", "last", "premiere", "seconde", "deuxieme", "derniere"}
    | {"erste", "ersten", "erster", "zweite", "zweiten", "zweiter", "letzte", "letzten", "letzter"}
)

# Months by language, folded. English months are capitalised, and "May" and "March" are also
# words ("it may", "a march"): they count only mid-sentence or next to a day or a year.
_MONTHS = {
    "fr": "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre",
    "de": "januar februar marz april mai juni juli august september oktober november dezember",
    "en": "january february march april may june july august september october november december",
}
_MONTH_NUMBERS = {
    **{month: n for names in _MONTHS.values() for n, month in enumerate(names.split(), 1)},
    **{"maerz": 3, "janner": 1, "jaenner": 1, "feber": 2},
}
_MONTH_WORDS = {
    "fr": frozenset(_MONTHS["fr"].split()),
    "de": frozenset(_MONTHS["de"].split()) | {"maerz", "janner", "jaenner", "feber"},
    "en": frozenset(_MONTHS["en"].split()),
}
_ALL_MONTH_WORDS = frozenset(_MONTH_NUMBERS)
_ENGLISH_MONTHS = _MONTH_WORDS["en"] - _MONTH_WORDS["fr"] - _MONTH_WORDS["de"]
_ENGLISH_AMBIGUOUS = frozenset({"may", "march"})
# The written forms: folded ones and those with their accent or umlaut.
_MONTH_FORMS = _ALL_MONTH_WORDS | {"février", "août", "décembre", "märz", "jänner"}
_MONTH_ALTERNATIVES = "|".join(
    sorted(_MONTH_FORMS | {form.capitalize() for form in _MONTH_FORMS}, key=len, reverse=True)
)
# A month with the day before it ("le 5 mars", "5. März", "1er mai", "5th May") or the day or
# the year after it ("March 5", "May 2025"). Run on the raw text: English months need their
# capital.
_MONTH_WORD = re.compile(
    r"(?=[JjFfMmAaSsOoNnDd])(?<![^\W_])"
    rf"(?:{_MONTH_ALTERNATIVES})"
    r"(?![^\W_])"
)
_DAY_BEFORE = re.compile(r"(?<!\d)(\d{1,2})(?:\.|er|st|nd|rd|th)?\s+$")
_DAY_OR_YEAR_AFTER = re.compile(r"\s+(\d{1,4})(?:st|nd|rd|th)?(?![\d.,]?\d)")


def number_facts(
    text: str, folded_text: str, folded_tokens: set[str], language: str | None
) -> frozenset[str]:
    """The numeric facts of an item: canonical numbers, fractions ("~25"), months and dates.

    `text` is the raw title and summary, `folded_text` the same folded (`agents.text.fold`),
    `folded_tokens` its distinct words; `language` ("fr", "de", "en" or None) says which mark
    is the decimal one and which month names count.
    """
    facts = set(_canonical_numbers(text, long_scale=language in ("fr", "de")))
    counts = NUMBER_WORDS.keys() & folded_tokens
    consumed: list[str] = []  # counts read as part of "three thousand", "two-thirds"
    if not folded_tokens.isdisjoint(_SPELLED_MULTIPLIERS):
        facts.update(_spelled_multiples(folded_text, folded_tokens, consumed))
    if any(word in folded_text for word in _FRACTION_GATE):
        facts.update(_fractions(folded_text, folded_tokens, consumed))
    for word in set(consumed):
        if len(re.findall(rf"(?<![^\W_]){word}(?![^\W_])", folded_text)) <= consumed.count(word):
            counts.discard(word)
    facts.update(NUMBER_WORDS[word] for word in counts)
    months = _MONTH_WORDS.get(language or "", _ALL_MONTH_WORDS)
    if not folded_tokens.isdisjoint(months):
        facts.update(_dates(text, months))
    return frozenset(facts)


def _canonical(value: Decimal) -> str:
    """One string per value: "3000" for 3E+3, "2.5" for 2.50, "12" for "012"."""
    return format(value.normalize(), "f")


def _canonical_numbers(text: str, *, long_scale: bool) -> list[str]:
    found = []
    decimal_mark = "," if long_scale else "."
    for match in _NUMBER.finditer(text):
        groups, decimals, word, attached = match.groups()
        value = _digits_value(groups, decimals, decimal_mark)
        if word or attached:
            key = (word or attached).lower().rstrip(".")
            scale = _MULTIPLIERS[key]
            if long_scale and key.startswith("billion"):
                scale = _LONG_SCALE_BILLION
            value *= scale
        found.append(_canonical(value))
    return found


def _digits_value(groups: str, decimals: str | None, decimal_mark: str) -> Decimal:
    """The value of a digit match. Groups of three digits are thousands ("3.000", "3,000",
    "3 000"), except one group after the language's decimal mark: "1,250" is 1.25 in French and
    German, "1.250" is 1.25 in English. Other digits after "." or "," are decimals ("2,5")."""
    parts = _GROUP_SEPARATOR.split(groups)
    integer = "".join(parts)
    if decimals is None and len(parts) == 2 and groups[len(parts[0])] == decimal_mark:
        integer, decimals = parts
    return Decimal(f"{integer}.{decimals}" if decimals else integer)


def _spelled_multiples(
    folded_text: str, folded_tokens: Iterable[str], consumed: list[str]
) -> list[str]:
    """ "drei tausend", "three thousand", "trois mille", "dreitausend" -> "3000"; the counts
    read are appended to `consumed`."""
    found = []
    for count, word in _WORD_MULTIPLIER.findall(folded_text):
        found.append(_canonical(Decimal(NUMBER_WORDS[count]) * _MULTIPLIERS[word]))
        consumed.append(count)
    for token in folded_tokens:
        for word in ("tausend", "millionen"):
            if token.endswith(word) and (count := NUMBER_WORDS.get(token[: -len(word)])):
                found.append(_canonical(Decimal(count) * _MULTIPLIERS[word]))
    return found


def _fractions(folded_text: str, folded_tokens: Iterable[str], consumed: list[str]) -> list[str]:
    """Fractions used as quantities, as "~<percentage>": "two-thirds of" -> "~66.7"; the counts
    read are appended to `consumed`.

    "half" needs "of"/"the" after it and no ordinal before ("first half of" is a period); a
    third or a quarter needs an article or a count before it ("a quarter", "deux tiers") and,
    in English and French, "of", "de", "point" ... after it ("a third term" is an ordinal).
    """
    found = []
    for match in _FRACTION_WORD.finditer(folded_text):
        unit, start, end = match.group(), match.start(), match.end()
        before_match = _WORD_BEFORE.search(folded_text, max(0, start - 12), start)
        before = before_match.group(1) if before_match else ""
        after_match = _WORD_AFTER.match(folded_text, end)
        after = after_match.group(1) if after_match else ""
        german = unit in ("halfte", "drittel", "viertel")
        if before in _PERIOD_BEFORE or (not german and after not in _QUANTITY_AFTER):
            continue
        if after_match and after == "d" and folded_text.startswith("heure", after_match.end() + 1):
            continue  # "un quart d'heure": fifteen minutes
        count = 1
        if _DENOMINATORS[unit] > 2:
            if before in NUMBER_WORDS:
                count = int(NUMBER_WORDS[before])
                consumed.append(before)
            elif before not in _ONE:
                continue
        percentage = Decimal(100 * count / _DENOMINATORS[unit]).quantize(Decimal("0.1"))
        found.append(f"~{_canonical(percentage)}")
    if any(t.startswith("zweidrittel") for t in folded_tokens):
        found.append("~66.7")  # "Zweidrittelmehrheit"
    if any(t.startswith("dreiviertel") for t in folded_tokens):
        found.append("~75")
    return found


def _dates(text: str, months: frozenset[str]) -> list[str]:
    """Months as "month:MM", and a day with its month as "date:MM-DD" too."""
    found = []
    for match in _MONTH_WORD.finditer(text):
        word = match.group()
        before = _DAY_BEFORE.search(text, max(0, match.start() - 8), match.start())
        following = _DAY_OR_YEAR_AFTER.match(text, match.end())
        day_before = before.group(1) if before else None
        after = following.group(1) if following else None
        folded = fold(word)
        if folded not in months:
            continue
        english = folded in _ENGLISH_MONTHS or (months is _MONTH_WORDS["en"])
        if english and word[0].islower():
            continue  # "a march", "it may"
        dated = day_before or after
        ambiguous = folded in _ENGLISH_AMBIGUOUS and english and not dated
        if ambiguous and not _mid_sentence(text, match.start()):
            continue  # "May ..." / "March ..." starting a sentence
        month = _MONTH_NUMBERS[folded]
        found.append(f"month:{month:02d}")
        day = day_before or (after if after and len(after) <= 2 else None)
        if day and 1 <= int(day) <= 31:
            found.append(f"date:{month:02d}-{int(day):02d}")
    return found


def _mid_sentence(text: str, start: int) -> bool:
    """Whether the word at `start` follows a word in the same sentence."""
    before = text[:start].rstrip()
    return bool(before) and before[-1] not in '.!?:\n«"“'


def matching(fact: str, other: str, rounding: bool = False) -> bool:
    """Two facts state the same: equal, a fraction ("~66.7") and a number within one point, or
    with `rounding`, one figure the other rounded ("21" for "20.8", "400" for "412")."""
    if fact == other:
        return True
    if rounding and _kind(fact) == _kind(other) == "figure" and _rounded(fact, other):
        return True
    if fact[:1] == "~" and other[:1] != "~":
        fact, other = other, fact
    if other[:1] != "~" or not fact[:1].isdigit():
        return False
    try:
        return abs(Decimal(fact) - Decimal(other[1:])) <= 1
    except InvalidOperation:
        return False


def unmatched(
    facts: frozenset[str], others: frozenset[str], rounding: bool = False
) -> frozenset[str]:
    """`facts` that no fact of `others` matches."""
    rest = facts - others
    if not rest or not (rounding or any(f[:1] == "~" for f in rest | others)):
        return rest
    return frozenset(f for f in rest if not any(matching(f, o, rounding) for o in others))


def facts_differ(a: frozenset[str], b: frozenset[str], rounding: bool = False) -> bool:
    """Each side states a fact of one kind that the other lacks: a substitution ("3 killed" /
    "5 killed", "in May" / "in June", "2023" / "2024"), not an addition.

    Kinds: years, calendar facts (months and dates), other figures. A year one side gives as
    background ("first cut since 2019") is no substitute for a count the other states ("12
    jurors"), and the day of a date ("July 11") is not a count of its own.
    """
    only_a = {_kind(fact) for fact in unmatched(_without_date_days(a), b, rounding)}
    return any(_kind(fact) in only_a for fact in unmatched(_without_date_days(b), a, rounding))


def _rounded(fact: str, other: str) -> bool:
    """One figure is the other rounded to its own last significant digit, within 5 %: "21" for
    "20.8", "400" for "412"; not "2" for a rate of "2.25", and two figures of the same precision
    never are."""
    try:
        x, y = Decimal(fact.lstrip("~")), Decimal(other.lstrip("~"))
    except InvalidOperation:
        return False
    unit = max(_unit(x), _unit(y))
    close = abs(x - y) * 20 <= max(abs(x), abs(y))
    return min(_unit(x), _unit(y)) < unit and abs(x - y) * 2 <= unit and close


def _unit(value: Decimal) -> Decimal:
    """The place of a figure's last significant digit: 100 for 400, 0.1 for 20.8."""
    exponent = value.normalize().as_tuple().exponent
    return Decimal(1).scaleb(exponent if isinstance(exponent, int) else 0)


def is_calendar_word(folded: str) -> bool:
    """A month name in fr/de/en ("janvier", "marz", "january")."""
    return folded in _ALL_MONTH_WORDS


def _kind(fact: str) -> str:
    if fact.startswith(("month:", "date:")):
        return "calendar"
    if len(fact) == 4 and fact.isdigit() and 1900 <= int(fact) <= 2100:
        return "year"
    return "figure"


def _without_date_days(facts: frozenset[str]) -> frozenset[str]:
    """`facts` without the plain numbers that are the day of one of their dates ("11" next to
    "date:07-11")."""
    days = {str(int(fact[-2:])) for fact in facts if fact.startswith("date:")}
    return facts - days if days else facts


def shared_figure(a: frozenset[str], b: frozenset[str]) -> bool:
    """The two share a number, a fraction or a date (a month alone is too common to count)."""
    return any(not fact.startswith("month:") for fact in a - unmatched(a, b))
