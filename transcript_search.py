"""Search across meeting transcripts: matching, ranking, and a cache of downloaded transcripts.

Matching is on words, case- and accent-insensitive ("Décision" finds "decision"): text is casefolded
and stripped of combining marks (Unicode NFKD). A query holds bare words and "quoted phrases"; a
phrase matches those words in a row. A bare word also matches, at half weight, a longer word it
begins ("budget" finds "budgets", "plan" finds "planning"): the server has no stemmer (no new
dependency), and prefixes catch most English plurals and -ed/-ing forms without matching inside
words. Words of one or two letters match whole words only.

Ranking is BM25 over speaker turns (each turn a document; k1 1.2, b 0.75): a rare word counts
more than a common one, several query words in one turn more than one word repeated, and a long
turn does not win by length alone. Each phrase counts as one more term, so exact wording ranks first.
"""

from __future__ import annotations

import math
import re
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

_WORD = re.compile(r"\w+")
_QUOTED = re.compile(r'"([^"]*)"')
K1, B = 1.2, 0.75
PREFIX_WEIGHT = 0.5
MIN_PREFIX = 3  # a query word shorter than this matches whole words only


def normalise(text: str) -> str:
    """Casefolded, without accents: the form both the query and the transcripts are compared in."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    return _WORD.findall(normalise(text))


@dataclass(frozen=True)
class Query:
    words: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...]

    @classmethod
    def parse(cls, text: str) -> Query:
        """Bare words and "quoted phrases" (a one-word phrase is a bare word); ValueError when empty."""
        phrases = [tuple(words(p)) for p in _QUOTED.findall(text)]
        bare = words(_QUOTED.sub(" ", text))
        bare += [p[0] for p in phrases if len(p) == 1]
        phrases = [p for p in phrases if len(p) > 1]
        if not bare and not phrases:
            raise ValueError("the query has no words to search for")
        return cls(tuple(dict.fromkeys(bare)), tuple(dict.fromkeys(phrases)))


@dataclass(frozen=True)
class Turn:
    """One speaker turn of one meeting."""

    meeting: dict  # uuid, topic, start_time
    time: str | None  # hh:mm:ss from the meeting's start
    speaker: str | None
    text: str


def _tf_word(term: str, tokens: list[str]) -> float:
    exact = prefix = 0
    for tok in tokens:
        if tok == term:
            exact += 1
        elif len(term) >= MIN_PREFIX and tok.startswith(term):
            prefix += 1
    return exact + PREFIX_WEIGHT * prefix


def _tf_phrase(phrase: tuple[str, ...], tokens: list[str]) -> float:
    n = len(phrase)
    return float(sum(1 for i in range(len(tokens) - n + 1) if tuple(tokens[i:i + n]) == phrase))


def rank(turns: Iterable[Turn], query: Query, limit: int) -> list[tuple[float, Turn]]:
    """The turns that match, best first (ties: the newer meeting, then the earlier time); at most limit."""
    docs = [(turn, words(turn.text)) for turn in turns]
    if not docs:
        return []
    avg_len = sum(len(tokens) for _, tokens in docs) / len(docs) or 1.0
    terms: list[Callable[[list[str]], float]] = [lambda toks, w=w: _tf_word(w, toks) for w in query.words]
    terms += [lambda toks, p=p: _tf_phrase(p, toks) for p in query.phrases]
    tfs = [[tf(tokens) for tf in terms] for _, tokens in docs]
    n = len(docs)
    idf = []
    for j in range(len(terms)):
        having = sum(1 for row in tfs if row[j] > 0)
        idf.append(math.log(1 + (n - having + 0.5) / (having + 0.5)))
    scored = []
    for (turn, tokens), row in zip(docs, tfs, strict=True):
        norm = K1 * (1 - B + B * len(tokens) / avg_len)
        score = sum(idf[j] * f * (K1 + 1) / (f + norm) for j, f in enumerate(row) if f)
        if score > 0:
            scored.append((score, turn))
    # Stable sorts, last key first: score, then the newer meeting (ISO UTC sorts as text), then time.
    scored.sort(key=lambda st: st[1].time or "")
    scored.sort(key=lambda st: st[1].meeting.get("start_time") or "", reverse=True)
    scored.sort(key=lambda st: -st[0])
    return scored[:limit]


class TranscriptCache:
    """Downloaded transcripts by meeting UUID, for a while and within a size cap, so a follow-up
    question does not download them again. Thread-safe (tools run in worker threads)."""

    def __init__(self, *, max_chars: int = 16 * 2**20, ttl: float = 3600.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_chars, self.ttl, self._clock = max_chars, ttl, clock
        self._items: OrderedDict[str, tuple[float, int, list]] = OrderedDict()  # uuid: (stored, size, turns)
        self._size = 0
        self._lock = threading.Lock()

    def get(self, uuid: str) -> list | None:
        with self._lock:
            item = self._items.get(uuid)
            if item is None:
                return None
            if self._clock() - item[0] > self.ttl:
                self._drop(uuid)
                return None
            self._items.move_to_end(uuid)  # least recently used goes first
            return item[2]

    def put(self, uuid: str, turns: list) -> None:
        size = sum(len(t[2]) for t in turns) + 64 * len(turns)
        with self._lock:
            if uuid in self._items:
                self._drop(uuid)
            if size > self.max_chars:
                return  # one transcript larger than the whole cache: not kept
            while self._size + size > self.max_chars:
                self._drop(next(iter(self._items)))
            self._items[uuid] = (self._clock(), size, turns)
            self._size += size

    def _drop(self, uuid: str) -> None:
        _, size, _ = self._items.pop(uuid)
        self._size -= size

    def __len__(self) -> int:
        return len(self._items)
