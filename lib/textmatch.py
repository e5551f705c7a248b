"""Comparing short typed texts with known names: folding (case, accents, punctuation) and token-aware scores.

Whole-string fuzzy scores (RapidFuzz's WRatio) reward any shared word: "Zine librarianship" scored 86 against
"Health sciences librarianship" through "librarianship" alone. Here generic words are dropped first, each
remaining word is matched to its most alike word (typos allowed, short acronyms exact), and an entry scores
only when its words cover the typed text and one of its texts is covered back. Optionally, a text all of whose
words are in the typed text ("Archives" in "Community archives") scores at least a floor, however many other
words were typed.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence

from rapidfuzz import fuzz, process

WORD_MIN = 80  # two words at least this alike (RapidFuzz ratio) count as one word misspelt
SHORT = 3      # words this short (OER, ILL, UX) match only exactly: one letter off is another word
WEAK = 0.5     # how much a word of a weak text (a skill's category) counts towards covering the typed text


def fold(text: str) -> str:
    """Lowercase, strip accents and punctuation, read '&' as 'and': 'Métadata & RDA' -> 'metadata and rda'."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    plain = re.sub(r"['\u2019]", "", plain).replace("&", " and ")
    return " ".join(re.sub(r"[\W_]+", " ", plain).split())


class TokenScorer:
    """Ranks known entries (each with its texts and weak texts) by how closely they match a typed text."""

    def __init__(self, entries: Iterable[tuple[object, Sequence[str], Sequence[str]]], generic: Iterable[str],
                 split: Callable[[str], list[str]] | None = None, contained: float | None = None):
        """Index entries given as (id, texts, weak texts); generic words never count as evidence.

        With `contained` (0-1), a text whose every word is among the typed words scores at least that, plus
        the rest of the way in proportion to its ordinary score (so the text covering more still ranks first).
        """
        self._generic = frozenset(generic)
        self._contained = contained
        self._split = split or (lambda text: fold(text).split())
        self._texts: dict[object, list[tuple[str, ...]]] = {}
        self._weak: dict[object, frozenset[str]] = {}
        self._by_word: dict[str, set] = {}
        for entry_id, texts, weak in entries:
            words = [tuple(dict.fromkeys(self.words(text))) for text in texts]
            words = [w for w in words if w]
            self._texts[entry_id] = words
            self._weak[entry_id] = frozenset(w for text in weak for w in self.words(text))
            for word in {w for text in words for w in text}:
                self._by_word.setdefault(word, set()).add(entry_id)
        self._known = set(self._by_word).union(*self._weak.values())
        self._long = sorted(w for w in self._known if len(w) > SHORT)

    def words(self, text: str) -> list[str]:
        """The words of a text that can tell entries apart (folded, generic words dropped)."""
        return [w for w in self._split(text) if w not in self._generic]

    def _alike(self, word: str) -> dict[str, float]:
        """Known words alike to one typed word, with a similarity from 0.8 to 1."""
        found = {word: 1.0} if word in self._known else {}
        if len(word) > SHORT:
            for other, score, _ in process.extract(word, self._long, scorer=fuzz.ratio, score_cutoff=WORD_MIN,
                                                   limit=None):
                found[other] = max(found.get(other, 0.0), score / 100)
        return found

    def rank(self, text: str, limit: int = 3, minimum: int = 1) -> list[tuple[object, int]]:
        """Return up to `limit` (entry id, score 0-100) best first, leaving out scores below `minimum`."""
        query = list(dict.fromkeys(self.words(text)))
        if not query:
            return []
        alike = {word: self._alike(word) for word in query}
        touched = {entry for found in alike.values() for word in found for entry in self._by_word.get(word, ())}
        scored = []
        for entry in touched:
            score = round(100 * max(self._with_floor(query, alike, words, self._weak[entry])
                                    for words in self._texts[entry]))
            if score >= minimum:
                scored.append((entry, score))
        scored.sort(key=lambda item: (-item[1], str(item[0])))
        return scored[:limit]

    def _with_floor(self, query: list[str], alike: dict[str, dict[str, float]], words: tuple[str, ...],
                    weak: frozenset[str]) -> float:
        """The ordinary score, raised to the floor for a text contained in the typed words (when asked for)."""
        score = self._score(query, alike, words, weak)
        if self._contained is not None and all(any(c in alike[w] for w in query) for c in words):
            return self._contained + (1 - self._contained) * score
        return score

    @staticmethod
    def _score(query: list[str], alike: dict[str, dict[str, float]], words: tuple[str, ...],
               weak: frozenset[str]) -> float:
        """F1 of how much of the typed words this text (and the weak words) covers and how much of it they cover."""
        def _best(word: str, among: Iterable[str]) -> float:
            return max((alike[word].get(other, 0.0) for other in among), default=0.0)

        covered = sum(len(w) * max(_best(w, words), WEAK * _best(w, weak)) for w in query) / sum(map(len, query))
        covering = sum(len(c) * max(alike[w].get(c, 0.0) for w in query) for c in words) / sum(map(len, words))
        return 2 * covered * covering / (covered + covering) if covered and covering else 0.0
