"""WEBVTT transcript → clean text: one speaker turn per line, `[hh:mm:ss] Speaker: words`."""

from __future__ import annotations

import re

_TIMING = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})(?:[.,]\d+)?\s+-->")
_VOICE = re.compile(r"^<v(?:\.[^ >]*)?\s+([^>]+)>")
_TAG = re.compile(r"<[^>]*>")
# Zoom writes the speaker as a "Name: " prefix on the cue text.
_PREFIX = re.compile(r"^([^:<>]{1,80}):\s+(.*)$", re.S)


def _cue_time(line: str) -> str | None:
    m = _TIMING.match(line)
    if not m:
        return None
    h, mnt, s = m.groups()
    return f"{int(h or 0):02d}:{int(mnt):02d}:{int(s):02d}"


def vtt_to_text(vtt: str) -> str:
    """Return the transcript's turns, consecutive cues of one speaker merged into one line."""
    turns: list[list[str | None]] = []  # [time, speaker, text]
    for block in re.split(r"\r?\n\s*\r?\n", vtt.lstrip("\ufeff").strip()):
        lines = block.splitlines()
        at = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if at is None:
            continue  # header, NOTE, STYLE or REGION block
        time = _cue_time(lines[at].strip())
        text = " ".join(line.strip() for line in lines[at + 1 :] if line.strip())
        speaker = None
        voice = _VOICE.match(text)
        if voice:
            speaker = voice.group(1).strip()
        text = _TAG.sub("", text).strip()
        if speaker is None:
            prefix = _PREFIX.match(text)
            if prefix:
                speaker, text = prefix.group(1).strip(), prefix.group(2).strip()
        if not text:
            continue
        if turns and turns[-1][1] == speaker:
            turns[-1][2] = f"{turns[-1][2]} {text}"
        else:
            turns.append([time, speaker, text])
    return "\n".join(
        f"[{t}] {s}: {x}" if s else f"[{t}] {x}" for t, s, x in turns
    )
