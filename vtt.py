"""WEBVTT transcript → clean text: one speaker turn per line, `[hh:mm:ss] Speaker: words`.

Speakers come from `<v Name>` voice tags or from Zoom's `Name: text` prefix. Zoom's TRANSCRIPT files
prefix every cue with the speaker, but a colon in ordinary text ("Agenda: budget, hiring") looks
the same, so a prefix is read as a speaker only when
- it is short (at most 64 characters), starts with a letter and holds no sentence punctuation
  (. ! ? ; " and slashes), and
- the file is speaker-labelled: at least half of its cues carry such a prefix (or a voice tag), as
  Zoom's TRANSCRIPT files do. In other files (closed captions, notes) every cue is kept whole.
A cue that is not read as a speaker's keeps its text unchanged, colon and all, on a line of its own.
"""

from __future__ import annotations

import html
import re

_TIMING = re.compile(r"^(?:([0-9]+):)?([0-9]{1,2}):([0-9]{2})(?:[.,][0-9]+)?\s+-->")
_VOICE = re.compile(r"^<v(?:\.[^ >]*)?\s+([^>]+)>")
_TAG = re.compile(r"<[^>]*>")
_PREFIX = re.compile(r"^([^:<>]{1,64}):\s+(.*)$", re.S)
_SPEAKER = re.compile(r"[^\W\d_][^.!?;\"\n/\\]*")  # starts with a letter; no sentence punctuation


def _cue_time(line: str) -> str | None:
    m = _TIMING.match(line)
    if not m:
        return None
    h, mnt, s = m.groups()
    return f"{int(h or 0):02d}:{int(mnt):02d}:{int(s):02d}"


def _speaker_prefix(text: str) -> tuple[str, str] | None:
    m = _PREFIX.match(text)
    if m and _SPEAKER.fullmatch(m.group(1).strip()):
        return m.group(1).strip(), m.group(2).strip()
    return None


def vtt_to_text(vtt: str) -> str:
    """Return the transcript's turns, consecutive cues of one speaker merged into one line."""
    return "\n".join(f"[{t}] {s}: {x}" if s else f"[{t}] {x}" for t, s, x in vtt_turns(vtt))


def vtt_turns(vtt: str) -> list[tuple[str | None, str | None, str]]:
    """The transcript's turns as (hh:mm:ss or None, speaker or None, words), consecutive cues of one
    speaker merged."""
    cues: list[tuple[str | None, str | None, str]] = []  # (time, voice speaker, text)
    for block in re.split(r"\r?\n\s*\r?\n", vtt.lstrip("\ufeff").strip()):
        lines = block.splitlines()
        at = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if at is None:
            continue  # header, NOTE, STYLE or REGION block
        text = " ".join(line.strip() for line in lines[at + 1 :] if line.strip())
        voice = _VOICE.match(text)
        # Tags go first, then entities (&amp; &lt; &nbsp; ...): an escaped "&lt;b&gt;" is text.
        text = html.unescape(_TAG.sub("", text)).replace("\xa0", " ").strip()
        speaker = html.unescape(voice.group(1)).strip() if voice else None
        if text:
            cues.append((_cue_time(lines[at].strip()), speaker, text))
    labelled = sum(1 for _, s, x in cues if s or _speaker_prefix(x))
    prefixes = labelled * 2 >= len(cues)

    turns: list[list[str | None]] = []  # [time, speaker, text]
    for time, speaker, text in cues:
        if speaker is None and prefixes:
            found = _speaker_prefix(text)
            if found:
                speaker, text = found
        if not text:
            continue
        if turns and speaker is not None and turns[-1][1] == speaker:
            turns[-1][2] = f"{turns[-1][2]} {text}"
        else:
            turns.append([time, speaker, text])
    return [(t, s, x) for t, s, x in turns]
