"""German rules of the fingerprint: German capitalises every noun, so a capitalised word is a
name only when its form says it is not a common noun or an adjective."""

from __future__ import annotations

import re
from collections import Counter

from agents.dedup.lexicon import ALIASES, CAPITALISED, CAPITALS, is_acronym
from agents.text import fold

# Derivational suffixes of German common nouns, folded, singular and plural, each with the
# shortest stem it needs before it, so that short names keep theirs ("Jung", "Tunis", "Clement",
# "Schwerin", "Vincent"). Not "-er" (Söder, Lindner, Müller) nor "-ei", "-ie", "-chen", "-enz",
# "-agen" (Türkei, Armenien, München, Koblenz, Kopenhagen).
_GERMAN_NOUN_SUFFIXES = (
    ("ung ungen heit heiten keit keiten schaft schaften", 2),
    ("tion tionen sion sionen itat itaten ismus ismen tum tumer logie logien kratie", 2),
    ("ment mente menten nis nisse nissen ling linge tur turen eur eure", 4),
    ("ist isten ent enten", 5),  # Journalist, Präsident
    ("erin erinnen istin istinnen entin entinnen atin atinnen", 5),  # Ministerin, Kandidatin
)
# Matched against the last hyphenated part of a word ("Grünen-Kandidatin"); the endings alone
# (str.endswith) first, as most names have none of them.
_GERMAN_NOUN_ENDINGS = tuple(" ".join(suffixes for suffixes, _ in _GERMAN_NOUN_SUFFIXES).split())
_GERMAN_NOUN = re.compile(
    "|".join(
        rf"\w{{{stem},}}(?:{'|'.join(suffixes.split())})"
        for suffixes, stem in _GERMAN_NOUN_SUFFIXES
    )
)
# An inflected adjective ("Russische", "Ukrainischer", "Europäischen"): German adjectives are
# lower-case, so a capitalised one starts a sentence (or a fixed name, whose alias gives its key)
# and is no more a name than "ukrainische". Uninflected forms are left alone (Leipzig, Fröhlich),
# and "-iger" too (Geiger).
_GERMAN_ADJECTIVE = re.compile(r"\w{2,}(?:(?:isch|lich)(?:e|en|er|es|em)|ig(?:e|en|es|em))")
_GERMAN_ADJECTIVE_ENDINGS = tuple(
    f"{stem}{ending}"
    for stem in ("isch", "lich", "ig")
    for ending in ("e", "en", "er", "es", "em")
    if (stem, ending) != ("ig", "er")
)


def is_german_common_word(folded: str) -> bool:
    """True for a folded capitalised German word that is a common noun or an adjective by its
    form: an inflected adjective, or a noun suffix ("-ung", "-heit", "-schaft", "-ismus",
    "-erin" ...) at the end of its last hyphenated part ("Grünen-Kandidatin").

    Form only, no vocabulary: a word without such an ending ("Besuch", "Klage") stays a name.
    """
    if folded.endswith(_GERMAN_ADJECTIVE_ENDINGS) and _GERMAN_ADJECTIVE.fullmatch(folded):
        return True
    head = folded.rsplit("-", 1)[-1]
    if not head.endswith(_GERMAN_NOUN_ENDINGS) or folded in ALIASES.names:
        return False  # a name of the alias table with a noun ending stays a name
    return _GERMAN_NOUN.fullmatch(head) is not None


# A German capitalised word after an article, a determiner or a preposition fused with an
# article, with up to two inflected adjectives between ("den Schritt", "der richtige Weg"), and
# not followed by another capitalised word (a first name: "der Kanzler Olaf Scholz" keeps Olaf).
# Within a line: the title's last word ("bestellt Botschafter ein") does not reach the summary.
# der die das den dem des, ein(e|em|en|er|es), kein(...), zum zur, im ins, am, vom, beim. The
# look-ahead on first letters lets re skip most positions (~40 % faster than a plain list).
_GERMAN_DETERMINED = re.compile(
    r"(?=[dDeEkKzZiIaAvVbB])(?<![^\W_])"
    r"(?:[Dd](?:e[rmns]|ie|as)|(?:[Ee]|[Kk]e)in(?:e[mnrs]?)?|[Zz]u[mr]|[Ii](?:m|ns)|[Aa]m|[Vv]om|[Bb]eim)"
    r"[^\S\n]+"
    r"(?:[a-zäöüß]+(?:e|en|er|es|em)[^\S\n]+){0,2}"
    rf"([{CAPITALS}][^\W_]*(?:-[^\W_]+)*)(?![^\W_-])(?![^\S\n]+[{CAPITALS}])"
)


def german_determined_nouns(title: str, summary: str) -> frozenset[str]:
    """Folded capitalised words of a German item that follow an article or a determiner
    wherever they occur ("den Schritt", "das Staatsoberhaupt", "der richtige Weg", "im Januar"):
    common nouns, which German capitalises. German names rarely take an article; those that do
    are mostly in the alias table (die Ukraine, der Kreml) or acronyms (die AfD), and stay names,
    as does a word that also stands without one (a headline's "Bundestag").
    """
    text = f"{title}\n{summary}"
    determined = Counter(match.group(1) for match in _GERMAN_DETERMINED.finditer(text))
    if not determined:
        return frozenset()
    everywhere = Counter(CAPITALISED.findall(text))
    common = (w for w, count in determined.items() if everywhere[w] == count and not is_acronym(w))
    return frozenset(word for word in map(fold, common) if word not in ALIASES.names)
