"""People's names: how they are kept (as typed, in Unicode NFC) and how they are matched.

Names arrive in every script and from every keyboard: "José" with a precomposed é or with e +
a combining accent, "İlkay" with a Turkish capital dotted I, Arabic with or without its short
vowels. What is kept is what the person typed, normalised to NFC. What is compared (searches,
the desk's look-up, duplicates) is ``search_key``: case, accents, punctuation and spaces gone,
and the usual Arabic letter variants folded, the same on PostgreSQL and SQLite because it is
computed here and stored (``AccreditationRequest.name_key``).
"""

from __future__ import annotations

import unicodedata

# Format characters a name may need: the zero-width non-joiner and joiner (Persian, Indic
# scripts). Every other control or format character is refused: bidi overrides (U+202E turns
# "Smith" into "htimS" on a badge), invisible marks, byte-order marks.
_ALLOWED_FORMAT = {"\u200c", "\u200d"}
_REFUSED_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Cn"}

# Arabic letters that people type one for the other, folded for matching only.
_ARABIC_FOLD = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ی": "ي",  # Persian yeh
        "ئ": "ي",
        "ة": "ه",
        "ؤ": "و",
        "ک": "ك",  # Persian kaf
        "ـ": None,  # tatweel, a stretching stroke
        "ı": "i",  # Turkish dotless i: "Işık" is found by "isik"
    }
)


def clean_name(text: str | None) -> str:
    """A name as it is kept: NFC, trimmed, inner runs of spaces made one."""
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def refused_characters(text: str | None) -> list[str]:
    """The characters a name may not hold (controls, bidi and other format characters,
    private-use and unassigned code points), as U+XXXX, in order of appearance."""
    found: list[str] = []
    for char in text or "":
        if char in _ALLOWED_FORMAT or char in "\t\n\r":
            continue
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            code = f"U+{ord(char):04X}"
            if code not in found:
                found.append(code)
    return found


def refused_characters_message(refused: list[str]) -> str:
    """What a text holding ``refused`` characters gets (the request's fields, interview
    topics): which ones, and what to do."""
    from django.utils.translation import gettext as _

    return _(
        "This contains invisible or control characters (%(codes)s), often pasted with "
        "the text. Please type it again."
    ) % {"codes": ", ".join(refused)}


def search_key(text: str | None) -> str:
    """What a name is matched by: no case, no accents or vowel marks, letters and digits only."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    folded = "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_ARABIC_FOLD)
    return "".join(c for c in unicodedata.normalize("NFC", folded) if c.isalnum())


def person_key(given: str | None, family: str | None, native: str | None = "") -> str:
    """The stored key of a person: given + family names in both orders, and the name in the
    person's own script, separated by spaces, so that a search key (which has none) matches
    within one of them: "claire dubois", "Dubois Claire", "dubois" and "DUBOIS" all match."""
    given_key, family_key = search_key(given), search_key(family)
    parts = [given_key + family_key, family_key + given_key, search_key(native)]
    return " ".join(p for p in parts if p)
