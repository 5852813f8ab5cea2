"""Write zoom_rate_limits.py: the rate-limit category of every operation the simulator serves, read from
the "Rate Limit Label" in Zoom's OpenAPI descriptions, plus Zoom's per-plan limits.

Usage: ZOOM_OPENAPI_DIR=../shared/zoom-openapi python dev/gen_rate_limits.py [--check] [--spec-dir DIR]

Run it by hand after adding a route to zoomsim.server.ROUTES and commit the result; the server and the
simulator import the table, they never parse the spec. --check compares instead of writing (exit 1 when
the committed table differs). Exit codes: 0 written or up to date, 1 out of date, 2 usage or spec problem.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "zoom_rate_limits.py"
SPEC_FILES = ("Meetings.json", "Users.json")
CATEGORIES = ("LIGHT", "MEDIUM", "HEAVY", "RESOURCE-INTENSIVE")
# How Zoom spells each category in the X-RateLimit-Category header (and in its docs' tables).
HEADER_NAMES = {"LIGHT": "Light", "MEDIUM": "Medium", "HEAVY": "Heavy",
                "RESOURCE-INTENSIVE": "Resource-intensive"}
# The label sits in each operation's description, in two spellings of the link:
#   **[Rate Limit Label](https://...rate-limits/):** `MEDIUM`
LABEL = re.compile(r"Rate Limit Label\]?(?:\([^)]*\))?:\*\*\s*`([^`]+)`")

# Not in Zoom's spec: recording files come from https://zoom.us/rec/download/..., outside the /v2 API.
# Zoom documents no limit for them. We count them as LIGHT (a read of one resource, Light's own
# definition), on both sides: the client never floods the account with downloads, and the simulator
# charges them, so a benchmark's rate-limit floor holds whichever way Zoom really counts them.
DOWNLOAD_OP = "GET /rec/download/{fileId}"
DOWNLOAD_CATEGORY = "LIGHT"

# Zoom's "Rate limits by account type" (https://developers.zoom.us/docs/api/rate-limits/): requests per
# window of `seconds`, per account, shared by every app on it. Business+ covers Business, Education,
# Enterprise and Partner accounts. Daily quotas (Free: 6,000 light, 2,000 medium, 1,000 heavy a day;
# Pro: 30,000 and Business+: 60,000 a day shared by heavy and resource-intensive) are not modelled: one
# user's questions never come near them, and a per-second pacer cannot help with them.
PLANS = {
    "free": {"LIGHT": (4, 1), "MEDIUM": (2, 1), "HEAVY": (1, 1), "RESOURCE-INTENSIVE": (10, 60)},
    "pro": {"LIGHT": (30, 1), "MEDIUM": (20, 1), "HEAVY": (10, 1), "RESOURCE-INTENSIVE": (10, 60)},
    "business_plus": {"LIGHT": (80, 1), "MEDIUM": (60, 1), "HEAVY": (40, 1), "RESOURCE-INTENSIVE": (20, 60)},
}
PLAN_ALIASES = {"business": "business_plus", "education": "business_plus", "enterprise": "business_plus",
                "partner": "business_plus"}


class SpecError(Exception):
    pass


def normalise(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", template)


def label_of(key: str, op: dict) -> str:
    found = {m.strip().upper().replace(" ", "-").replace("_", "-")
             for m in LABEL.findall(op.get("description") or "")}
    if not found:
        raise SpecError(f"{key}: Zoom's spec gives no Rate Limit Label")
    if len(found) > 1:
        raise SpecError(f"{key}: Zoom's spec gives conflicting labels {sorted(found)}")
    label = found.pop()
    if label not in CATEGORIES:
        raise SpecError(f"{key}: unknown Rate Limit Label {label!r}")
    return label


def load_spec(spec_dir: Path) -> tuple[dict, list[str]]:
    """{(METHOD, normalised path): (spec's path, operation)} and one provenance line per file."""
    ops: dict = {}
    sources = []
    for name in SPEC_FILES:
        path = spec_dir / name
        try:
            raw = path.read_bytes()
        except OSError as err:
            raise SpecError(f"cannot read {path}: {err.strerror}") from None
        sources.append(f"{name} sha256 {hashlib.sha256(raw).hexdigest()}")
        doc = json.loads(raw)
        for template, item in doc["paths"].items():
            for method, op in item.items():
                if method in ("get", "post", "put", "patch", "delete"):
                    ops[(method.upper(), normalise(template))] = (template, op)
    return ops, sources


def routes() -> list[tuple[str, str]]:
    sys.path.insert(0, str(ROOT))
    from zoomsim.server import ROUTES

    return [(method, template) for method, template, _ in ROUTES]


def table(spec_dir: Path) -> tuple[dict[str, str], list[str]]:
    """{"METHOD /path/{as Zoom spells it}": category} for every simulator route, and the provenance."""
    ops, sources = load_spec(spec_dir)
    out = {}
    for method, template in routes():
        found = ops.get((method, normalise(template)))
        if found is None:
            raise SpecError(f"{method} {template} (a simulator route) is not in Zoom's spec")
        spec_path, op = found
        key = f"{method} {spec_path}"
        out[key] = label_of(key, op)
    return out, sources


def _q(text: str) -> str:
    return json.dumps(text)  # a double-quoted Python string literal for these plain ASCII names


def _mapping(name: str, items: dict, comment: str = "") -> list[str]:
    lines = [f"{name} = {{"]
    for key, value in items.items():
        shown = _q(value) if isinstance(value, str) else repr(value)
        lines.append(f"    {_q(key)}: {shown},")
    return ([f"# {comment}"] if comment else []) + lines + ["}", ""]


def render(spec_dir: Path) -> str:
    ops, sources = table(spec_dir)
    operations = {key: ops[key] for key in sorted(ops)}
    operations[DOWNLOAD_OP] = DOWNLOAD_CATEGORY
    lines = [
        '"""Zoom\'s API rate limits: the category of each operation this project uses; the limits per plan.',
        "",
        "GENERATED by dev/gen_rate_limits.py from the \"Rate Limit Label\" of each operation in Zoom's",
        "OpenAPI files; do not edit. After adding a route to zoomsim.server.ROUTES run",
        "`ZOOM_OPENAPI_DIR=../shared/zoom-openapi .venv/bin/python dev/gen_rate_limits.py`.",
        *(f"Source: {s}." for s in sources),
        "",
        "OPERATIONS keys are operation keys, \"METHOD /path/{param}\", the path spelled as in Zoom's spec.",
        "PLANS gives (requests, per seconds) per category, per account, from Zoom's \"Rate limits by",
        "account type\" (https://developers.zoom.us/docs/api/rate-limits/). Daily quotas are not modelled.",
        '"""',
        "",
        f"CATEGORIES = ({', '.join(_q(c) for c in CATEGORIES)})",
        "",
        *_mapping("HEADER_NAMES", HEADER_NAMES,
                  "How Zoom spells each category in the X-RateLimit-Category header."),
        "# Recording files (https://zoom.us/rec/download/...) are outside the /v2 API and Zoom's spec,",
        "# and Zoom documents no limit for them: they count as LIGHT (one resource read), for the client",
        "# and the simulator alike.",
        f"DOWNLOAD_OP = {_q(DOWNLOAD_OP)}",
        "",
        *_mapping("OPERATIONS", operations),
        "PLANS = {",
        *(f"    {_q(plan)}: {{{', '.join(f'{_q(c)}: {limits[c]!r}' for c in CATEGORIES)}}},"
          for plan, limits in PLANS.items()),
        "}",
        "",
        *_mapping("PLAN_ALIASES", PLAN_ALIASES, "Zoom's Business+ limits apply to all of these plans."),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dev/gen_rate_limits.py", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spec-dir", default=os.environ.get("ZOOM_OPENAPI_DIR"),
                        help="folder with Meetings.json and Users.json (default: $ZOOM_OPENAPI_DIR)")
    parser.add_argument("--check", action="store_true",
                        help="do not write: exit 1 when the committed table differs from the spec")
    parser.add_argument("--output", default=str(OUTPUT), help=f"where to write (default {OUTPUT.name})")
    args = parser.parse_args(argv)
    if not args.spec_dir:
        print("ERROR: no spec folder: set ZOOM_OPENAPI_DIR or pass --spec-dir (e.g. ../shared/zoom-openapi)",
              file=sys.stderr)
        return 2
    try:
        text = render(Path(args.spec_dir))
    except SpecError as err:
        print(f"ERROR: {err}", file=sys.stderr)
        return 2
    out = Path(args.output)
    current = out.read_text(encoding="utf-8") if out.exists() else None
    if args.check:
        if current == text:
            print(f"{out.name} is up to date", file=sys.stderr)
            return 0
        print(f"ERROR: {out.name} differs from Zoom's spec; run dev/gen_rate_limits.py and commit it",
              file=sys.stderr)
        return 1
    if current == text:
        print(f"{out.name} is up to date", file=sys.stderr)
        return 0
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    print(f"wrote {out} ({text.count(chr(10))} lines)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
