"""Transcript search: matching, ranking and the cache, in process (no network, a fake clock)."""

from __future__ import annotations

import pytest

from transcript_search import Query, TranscriptCache, Turn, normalise, rank

OLD = {"uuid": "old", "topic": "Old", "start_time": "2026-01-05T10:00:00Z"}
NEW = {"uuid": "new", "topic": "New", "start_time": "2026-02-05T10:00:00Z"}


def turn(text, meeting=OLD, time="00:00:01", speaker="Alice"):
    return Turn(meeting, time, speaker, text)


def texts(ranked):
    return [t.text for _score, t in ranked]


def test_normalise_is_case_and_accent_insensitive():
    assert normalise("Décision ÉTÉ") == "decision ete"
    assert normalise("Straße") == "strasse"  # casefold, not lower


def test_query_has_words_and_quoted_phrases():
    q = Query.parse('Budget "next quarter" budget "hiring"')
    assert q.words == ("budget", "hiring") and q.phrases == (("next", "quarter"),)
    with pytest.raises(ValueError):
        Query.parse(' "" ?! ')


def test_only_matching_turns_come_back_best_first():
    turns = [turn("We talked about lunch."), turn("Budget talk: the budget needs cuts."),
             turn("Budget talk: the plan needs cuts.")]
    ranked = rank(turns, Query.parse("budget"), limit=10)
    assert texts(ranked) == ["Budget talk: the budget needs cuts.", "Budget talk: the plan needs cuts."]
    assert ranked[0][0] > ranked[1][0] > 0


def test_accents_and_case_do_not_matter():
    ranked = rank([turn("La DÉCISION est prise.")], Query.parse("decision"), limit=5)
    assert texts(ranked) == ["La DÉCISION est prise."]


def test_an_exact_phrase_outranks_the_same_words_apart():
    apart = turn("The quarter after next we plan more.")
    together = turn("In the next quarter we plan more.")
    assert texts(rank([apart, together], Query.parse('"next quarter"'), 5)) == [together.text, apart.text][:1]
    both = rank([apart, together], Query.parse('next quarter "next quarter"'), 5)
    assert texts(both) == [together.text, apart.text]


def test_a_word_matches_longer_words_it_begins_at_half_weight():
    exact, longer = turn("Plan the week."), turn("Planning the week.")
    ranked = rank([longer, exact], Query.parse("plan"), 5)
    assert texts(ranked) == [exact.text, longer.text]
    assert rank([turn("Explain it.")], Query.parse("plan"), 5) == []  # not inside a word
    assert rank([turn("Go onwards.")], Query.parse("on"), 5) == []  # two letters: whole words only


def test_a_rare_word_counts_more_than_a_common_one():
    turns = [turn("budget review"), turn("review notes"), turn("review again"), turn("more review")]
    ranked = rank(turns, Query.parse("budget review"), 5)
    assert ranked[0][1].text == "budget review"
    only_common = rank(turns[1:], Query.parse("review"), 5)
    assert max(s for s, _ in only_common) < ranked[0][0]


def test_ties_go_to_the_newer_meeting_then_the_earlier_time():
    a = turn("budget", OLD, "00:00:05")
    b = turn("budget", NEW, "00:00:09")
    c = turn("budget", NEW, "00:00:02")
    assert [(t.meeting["uuid"], t.time) for _, t in rank([a, b, c], Query.parse("budget"), 5)] == [
        ("new", "00:00:02"), ("new", "00:00:09"), ("old", "00:00:05")]
    assert len(rank([a, b, c], Query.parse("budget"), 2)) == 2


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def turns_of(size):
    return [("00:00:01", "A", "x" * size)]


def test_cache_keeps_transcripts_for_a_while():
    clock = Clock()
    cache = TranscriptCache(max_chars=10_000, ttl=60, clock=clock)
    cache.put("u1", turns_of(10))
    clock.now += 59
    assert cache.get("u1") == turns_of(10)
    clock.now += 2
    assert cache.get("u1") is None and len(cache) == 0


def test_cache_drops_the_least_recently_used_beyond_its_size():
    clock = Clock()
    cache = TranscriptCache(max_chars=3 * (100 + 64), ttl=60, clock=clock)
    for name in ("a", "b", "c"):
        cache.put(name, turns_of(100))
    assert cache.get("a") is not None  # a is now the most recently used
    cache.put("d", turns_of(100))
    assert cache.get("b") is None and all(cache.get(n) for n in ("a", "c", "d"))
    cache.put("huge", turns_of(10_000))  # larger than the whole cache: not kept, nothing evicted
    assert cache.get("huge") is None and len(cache) == 3
