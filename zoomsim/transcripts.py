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


# Topics for seeded recordings (Account.seed_recordings): each meeting adds its topic's two lines to the
# common ones, so a search across many transcripts finds some meetings and not others ("budget" is in a
# third of them).
TOPICS = [
    ("Budget review", "The Q3 budget is approved; ten percent goes to tooling.",
     "Let's keep the budget review on the agenda for next month."),
    ("Hiring sync", "Two backend roles open next week.", "The interview loop moves to a shared scorecard."),
    ("Customer churn", "Churn dropped after the onboarding change.",
     "We should interview the accounts we lost."),
    ("Launch planning", "Marketing wants the launch date fixed by Friday.",
     "The budget for the launch event stays as planned, no overrun."),
    ("On-call review", "The on-call rota changes in January.",
     "Pager alerts for the billing service were too noisy."),
    ("Security review", "The security review found no blockers for the release.",
     "Rotate the staging credentials anyway."),
]


def render_vtt(topic: str, speakers: list[str], *, seed: int, extra: tuple[str, ...] = ()) -> str:
    """A WEBVTT transcript; speakers take turns (the first opens and closes), timing is seeded.
    `extra` lines are spoken after the third."""
    rng = random.Random(seed)  # noqa: S311 - stable fake timings, not crypto
    speakers = speakers or ["Speaker 1", "Speaker 2"]
    lines = [*LINES[:3], *extra, *LINES[3:]]
    cues = ["WEBVTT", ""]
    at = 1000 + rng.randint(0, 900)
    for n, line in enumerate(lines, start=1):
        if n == 1 or n == len(lines) - 1 or n == len(lines):
            who = speakers[0]
        else:
            who = speakers[(n + rng.randint(0, 1)) % len(speakers)]
        length = 1500 + 60 * len(line) + rng.randint(0, 700)
        cues += [str(n), f"{_stamp(at)} --> {_stamp(at + length)}", f"{who}: {line}", ""]
        at += length + rng.randint(200, 1500)
    return "\n".join(cues)
