"""The mutations `make mutate` applies (dev/mutate.py), one at a time: each a single-line change
of the product that a test must notice. Each entry names the file, the exact original text (found
exactly once in it), its replacement, why a user would care, and the tests that should kill it:
`tests/...` lines are pytest arguments, `bats/... [-f REGEX]` lines run bats on one file.

Add one when a bug slipped past the tests (the mutation that reproduces it, then the test that
kills it). A mutation whose original text is gone (the code moved) fails the run as "stale": fix
its text rather than drop it.
"""

from __future__ import annotations

from typing import NamedTuple


class Mutation(NamedTuple):
    name: str
    file: str
    original: str
    replacement: str
    why: str
    tests: tuple[str, ...]


MUTATIONS = [
    # -- named in issue 11 (each survived the suite when it was filed)
    Mutation(
        "monitor-refresh-loop-guard", "token_monitor.py",
        "stuck = left <= self.threshold", "stuck = False",
        "a good refresh that leaves the token within the threshold would refresh again at once, forever",
        ("tests/test_monitor.py",)),
    Mutation(
        "vtt-exactly-half-labelled", "vtt.py",
        "prefixes = labelled * 2 >= len(cues)", "prefixes = labelled * 2 > len(cues)",
        "a transcript with speakers on exactly half its cues would lose its speakers",
        ("tests/test_validation.py -k vtt",)),
    Mutation(
        "report-exactly-one-month", "zoom_tools/reports.py",
        "if until > add_month(since):", "if until >= add_month(since):",
        "a report over exactly one month, which Zoom allows, would be refused",
        ("tests/test_validation.py -k report",)),
    Mutation(
        "kit-umask", "scripts/get_zoom_token.sh",
        "umask 077", "umask 022",
        "the lock file and a new .env would be readable by everyone on the machine",
        ("bats/get_zoom_token.bats -f umask",)),
    Mutation(  # still exits 1, as the one that survived did, but starts Claude on the way out
        "restart-after-failed-quit", "scripts/restart_claude_app.sh",
        '    wait_for 1 || zoom_die 1 "Claude Desktop did not quit within ${wait_s}s; quit it by hand, '
        'then start it again (ZOOM_RESTART_CLAUDE=0 skips this restart)"',
        '    wait_for 1 || { claude_start || :; zoom_die 1 "Claude Desktop did not quit within ${wait_s}s; '
        'quit it by hand, then start it again (ZOOM_RESTART_CLAUDE=0 skips this restart)"; }',
        "Claude would be started a second time while the old one still runs",
        ("bats/restart_claude_app.bats -f 'survives the kill'",)),
    # -- refresh
    Mutation(
        "monitor-401-single-flight", "token_monitor.py",
        "if self._refresh_gen != gen:  # a refresh finished while we waited",
        "if False:  # a refresh finished while we waited",
        "every concurrent 401 would fetch a token of its own (a token request storm)",
        ("tests/test_monitor.py",)),
    Mutation(
        "monitor-401-cooldown", "token_monitor.py",
        "if self._clock() < self._retry_at:  # cooldown: no token request storm",
        "if False:  # cooldown: no token request storm",
        "401s right after a failed fetch would ask Zoom again without pause",
        ("tests/test_monitor.py",)),
    Mutation(
        "monitor-threshold-boundary", "token_monitor.py",
        "return left is None or left <= self.threshold",
        "return left is None or left < self.threshold",
        "the refresh would start a second later than ZOOM_AUTO_REFRESH_THRESHOLD says",
        ("tests/test_monitor.py",)),
    Mutation(
        "monitor-max-failures", "token_monitor.py",
        "if self.failures >= self.settings.max_failures:",
        "if self.failures > self.settings.max_failures:",
        "auto-refresh would try once more than ZOOM_MAX_REFRESH_FAILURES allows",
        ("tests/test_monitor.py",)),
    # -- retry
    Mutation(
        "client-rate-limit-tries", "zoom_client.py",
        "if rate_tries < RATE_LIMIT_TRIES and rate_waited + wait <= RATE_LIMIT_BUDGET:",
        "if rate_tries <= RATE_LIMIT_TRIES and rate_waited + wait <= RATE_LIMIT_BUDGET:",
        "a rate-limited request would be tried a fourth time",
        ("tests/test_zoom_client.py",)),
    Mutation(
        "client-5xx-repeats-a-write", "zoom_client.py",
        "if safe_to_repeat and transient < TRANSIENT_RETRIES:",
        "if transient < TRANSIENT_RETRIES:",
        "a POST that Zoom answered 5xx could create the meeting twice",
        ("tests/test_zoom_client.py",)),
    # -- masking
    Mutation(
        "mask-python-last-four", "token_monitor.py",
        'return f"{token[:4]}...{token[-4:]}"', 'return f"{token[:4]}...{token[-5:]}"',
        "the monitor would show more of a token than its first and last four characters",
        ("tests/test_monitor.py",)),
    Mutation(
        "mask-shell-last-four", "scripts/lib/common.sh",
        '_zmask="${1:0:4}...${1: -4}"', '_zmask="${1:0:4}...${1: -5}"',
        "the scripts would show more of a token than its first and last four characters",
        ("bats/check_zoom_token.bats -f masked",)),
    # -- lock
    Mutation(
        "lock-stale-takeover", "scripts/lib/common.sh",
        'if ! kill -0 "$pid" 2>/dev/null; then', 'if false; then',
        "a portable lock left by a killed refresh would block every later one until its timeout",
        ("bats/get_zoom_token.bats -f 'taken over'",)),
    # -- validation
    Mutation(
        "meeting-id-ascii-digits", "arguments.py",
        "if len(s) <= 19 and s.isascii() and s.isdigit() and 0 < int(s) <= _INT64_MAX:",
        "if len(s) <= 19 and s.isdigit() and 0 < int(s) <= _INT64_MAX:",
        "a meeting id in other scripts' digits (\u0661\u0662\u0663) would reach Zoom's URL",
        ("tests/test_validation.py -k 'meeting_id or ascii'",)),
    Mutation(
        "user-id-path-characters", "arguments.py",
        '_USER_ID = re.compile(r"[A-Za-z0-9_-]{6,64}")', '_USER_ID = re.compile(r"[A-Za-z0-9_./-]{6,64}")',
        "a user_id could climb out of /users/ (../me) in the request path",
        ("tests/test_validation.py -k user_id",)),
    Mutation(
        "http-bearer-scheme", "http_transport.py",
        'return scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), self._token)',
        'return hmac.compare_digest(given.strip(), self._token)',
        "the HTTP transport would take the token under any scheme (Basic, Token...)",
        ("tests/test_http_transport.py",)),
    # -- found in this round's benchmarks (each a round trip or a jq start a user waits for)
    Mutation(
        "search-asks-each-month-once", "zoom_tools/recordings.py",
        "if not resumable:", "if False:",
        "a search capped by max_meetings would ask one month twice, a second round trip at Zoom's latency",
        ("tests/test_fan_out.py -k capped",)),
    Mutation(
        "attendance-404-goes-on", "zoom_tools/fan_out.py",
        "if exc.status != 404:", "if exc.status != 0:",
        "one meeting nobody held would fail the whole attendance question",
        ("tests/test_fan_out.py -k attendance",)),
]
