"""Multi-speaker WEBVTT transcripts in Zoom's cloud-recording form.

Zoom's TRANSCRIPT files number each cue and put the speaker's display name before a colon:

    WEBVTT

    1
    00:00:01.120 --> 00:00:04.560
    Alice Chen: Good morning, everyone.
"""

from __future__ import annotations

import random

LINES = [
    "Good morning, everyone. Let's get started.",
    "Thanks for joining. First item is the release status.",
    "The build is green since yesterday; one flaky test remains.",
    "Can we quarantine that test so it stops blocking merges?",
    "Yes, I'll take that and open a ticket for the real fix.",
    "Next, the token refresh. The monitor now refreshes five minutes before expiry.",
    "What happens if Zoom rate-limits the token endpoint?",
    "We back off and honour Retry-After, in seconds or as a timestamp.",
    "Good. Any risk for the customer demo on Thursday?",
    "The recordings endpoint only accepts a one-month range, so the UI pages by month.",
    "Makes sense. Let's also double-check the transcript download.",
    "I downloaded one this morning; speakers and timestamps look right.",
    "Great. Action items: quarantine the test, document the cooldown, add Retry-After parsing.",
    "I'll send the summary after the call.",
    "Thanks, everyone. See you next week.",
]


def _stamp(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def render_vtt(topic: str, speakers: list[str], *, seed: int) -> str:
    """A WEBVTT transcript; speakers take turns (the first opens and closes), timing is seeded."""
    rng = random.Random(seed)  # noqa: S311 - stable fake timings, not crypto
    speakers = speakers or ["Speaker 1", "Speaker 2"]
    cues = ["WEBVTT", ""]
    at = 1000 + rng.randint(0, 900)
    for n, line in enumerate(LINES, start=1):
        if n == 1 or n == len(LINES) - 1 or n == len(LINES):
            who = speakers[0]
        else:
            who = speakers[(n + rng.randint(0, 1)) % len(speakers)]
        length = 1500 + 60 * len(line) + rng.randint(0, 700)
        cues += [str(n), f"{_stamp(at)} --> {_stamp(at + length)}", f"{who}: {line}", ""]
        at += length + rng.randint(200, 1500)
    return "\n".join(cues)
