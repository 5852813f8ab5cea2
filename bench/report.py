"""The benchmark report: machine metadata, the markdown table and the JSON files."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT, Row

SCHEMA = "zoom-mcp-bench/1"
COLUMNS = ["#", "measurement", "median", "p95", "baseline", "median", "p95", "ratio", "target", "met",
           "notes"]


def _git(*args: str) -> str:
    try:
        cp = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10)
        return cp.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def machine_meta(groups: list[str], quick: bool) -> dict:
    try:
        from importlib.metadata import version

        mcp_version = version("mcp")
    except Exception:
        mcp_version = "?"
    return {
        "schema": SCHEMA,
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": "BENCH_QUICK=1 " * quick + "python -m bench" + "".join(f" {g}" for g in groups),
        "groups": groups,
        "quick": quick,
        "git": {"commit": _git("rev-parse", "--short", "HEAD"),
                "dirty": bool(_git("status", "--porcelain"))},
        "python": platform.python_version(),
        "mcp": mcp_version,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "loadavg_before": _loadavg(),
    }


def load_after() -> dict:
    return {"loadavg_after": _loadavg()}


def document(meta: dict, rows: list[Row], ctx_extra: dict | None = None) -> dict:
    return {"meta": meta, "results": [r.to_json() for r in rows], "extra": ctx_extra or {}}


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if unit == "ms":
        return f"{value:.2f} ms" if abs(value) < 100 else f"{value:.0f} ms"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "count":
        return f"{value:g}"
    if unit == "MiB":
        return f"{value:.1f} MiB"
    if unit == "%":
        return f"{value:.3f} %"
    if unit == "/min":
        return f"{value:.1f}/min"
    if unit == "calls/s":
        return f"{value:.0f} calls/s"
    return f"{value:g} {unit}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(doc: dict) -> str:
    meta = doc["meta"]
    lines = [
        f"`{meta['command']}` — {meta['timestamp']}, git {meta['git']['commit']}"
        f"{' (dirty)' if meta['git']['dirty'] else ''}, Python {meta['python']}, mcp {meta['mcp']}, "
        f"{meta['cpus']} CPUs, load {meta.get('loadavg_before')} → {meta.get('loadavg_after')}, "
        f"{meta.get('duration_s', '?')} s"
        + (" — QUICK MODE: figures are meaningless" if meta["quick"] else ""),
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---" for _ in COLUMNS) + "|",
    ]
    # Numbered as in issue 7 (1 overhead ... 7 footprint), whichever groups ran.
    groups = list(meta.get("group_order") or [])
    for r in doc["results"]:
        if r["group"] not in groups:
            groups.append(r["group"])
    numbering = {g: i + 1 for i, g in enumerate(groups)}
    counters: dict[str, int] = {}
    for r in doc["results"]:
        g = r["group"]
        counters[g] = counters.get(g, 0) + 1
        num = f"{numbering[g]}{chr(ord('a') + counters[g] - 1)}"
        unit = r["unit"]
        v, b = r["value"], r["baseline"]
        if r["status"] != "ok" and v is None:
            median, p95 = r["note"], ""
            note = ""
        else:
            median = fmt(v["median"], unit) if v else ""
            p95 = fmt(v["p95"], unit) if v and v["n"] > 1 else ""
            note = r["note"]
        if v and v["n"] > 1:
            note = (note + "; " if note else "") + f"n={v['n']}"
        met = {True: "✅", False: "❌", None: ""}[r["met"]]
        cells = [
            num, r["name"], median, p95, r["baseline_name"],
            fmt(b["median"], unit) if b else "", fmt(b["p95"], unit) if b and b["n"] > 1 else "",
            f"{r['ratio']:.2f}×" if r["ratio"] is not None else "", r["target"], met, note,
        ]
        lines.append("| " + " | ".join(_cell(str(c)) for c in cells) + " |")
    return "\n".join(lines)


def write(doc: dict, out_dir: Path, full_run: bool) -> list[Path]:
    """<timestamp>.json always; latest.json (the committed one) only for a full run of every group
    (a quick or partial run must not replace it)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S") + ("-quick" if doc["meta"]["quick"] else "")
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    paths = [out_dir / f"{stamp}.json"]
    if full_run:
        paths.append(out_dir / "latest.json")
    for p in paths:
        tmp = p.with_name(p.name + ".tmp")
        tmp.write_text(text)
        os.replace(tmp, p)
    return paths


if __name__ == "__main__":  # re-print the table of a JSON file: python -m bench.report FILE
    print(markdown(json.loads(Path(sys.argv[1]).read_text())))
