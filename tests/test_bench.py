"""The benchmark harness (bench/): its statistics and report, and a quick smoke run of a few groups.

The smoke run checks the table's and the JSON's shape, never the timings (BENCH_QUICK=1 figures mean
nothing).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import report
from bench.coldstart import parse_importtime, subtree
from bench.common import Row, Stat, check_loopback, percentile

ROOT = Path(__file__).resolve().parent.parent
ROW_KEYS = {"group", "key", "name", "unit", "value", "baseline_name", "baseline", "ratio", "target", "met",
            "note", "status", "extra"}


def test_percentile_interpolates_between_ranks():
    xs = [5, 1, 4, 2, 3]
    assert percentile(xs, 50) == 3
    assert percentile(xs, 0) == 1
    assert percentile(xs, 100) == 5
    assert percentile(list(range(1, 101)), 95) == pytest.approx(95.05)
    assert percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_stat_and_ratio():
    s = Stat.of([1.0, 2.0, 3.0, 4.0])
    assert (s.median, s.n) == (2.5, 4)
    assert s.p95 == pytest.approx(3.85)
    row = Row("g", "k", "name", value=Stat.count(3), baseline=Stat.count(2))
    assert row.ratio == 1.5
    assert Row("g", "k", "name", value=Stat.count(3)).ratio is None
    assert Row("g", "k", "name", value=Stat.count(3), baseline=Stat.count(0)).ratio is None


def test_only_loopback_urls_pass():
    assert check_loopback("http://127.0.0.1:8080/v2") == "http://127.0.0.1:8080/v2"
    for url in ("https://api.zoom.us/v2", "http://localhost:1/", "http://10.0.0.1/"):
        with pytest.raises(RuntimeError):
            check_loopback(url)


def _doc(quick: bool = True) -> dict:
    rows = [
        Row("overhead", "tool_call", "tool", value=Stat.of([1.0, 2.0, 3.0]), baseline_name="raw",
            baseline=Stat.of([0.5, 1.0, 1.5]), target="≤ 1 ms", met=False),
        Row("overhead", "x", "missing piece", status="n/a", note="n/a (missing: zoom_mcp.py)"),
        Row("tokens", "steady", "token requests", unit="count", value=Stat.count(0), target="0", met=True),
        Row("kit", "check", "broken", status="error", note="error: RuntimeError: boom | pipe"),
    ]
    meta = report.machine_meta(["overhead", "tokens", "kit"], quick)
    meta["group_order"] = ["overhead", "coldstart", "tokens", "kit"]
    return report.document(meta, rows)


def test_markdown_table_numbers_rows_by_issue_group_and_shows_na():
    text = report.markdown(_doc())
    lines = [ln for ln in text.splitlines() if ln.startswith("| ")]
    assert lines[0].startswith("| # | measurement | median | p95 | baseline |")
    assert all(ln.count(" | ") == len(report.COLUMNS) - 1 for ln in lines), lines
    assert lines[1].startswith("| 1a | tool | 2.00 ms |") and "2.00×" in lines[1] and "❌" in lines[1]
    assert lines[2].startswith("| 1b | missing piece | n/a (missing: zoom_mcp.py) |")
    assert lines[3].startswith("| 3a | token requests | 0 |") and "✅" in lines[3]
    assert lines[4].startswith("| 4a | broken | error: RuntimeError: boom \\| pipe |")
    assert "QUICK MODE" in text


def test_write_keeps_latest_json_for_full_runs(tmp_path):
    paths = report.write(_doc(quick=True), tmp_path, full_run=False)
    assert [p.name for p in paths] == [paths[0].name] and paths[0].name.endswith("-quick.json")
    assert not (tmp_path / "latest.json").exists()
    paths = report.write(_doc(quick=False), tmp_path, full_run=True)
    assert (tmp_path / "latest.json").exists()
    doc = json.loads((tmp_path / "latest.json").read_text())
    assert {"meta", "results", "extra"} <= set(doc)
    assert all(set(r) == ROW_KEYS for r in doc["results"])


def test_importtime_subtree_is_the_module_and_its_children():
    sample = "\n".join([
        "import time: self [us] | cumulative | imported package",
        "import time:       100 |        100 | site",
        "import time:        10 |         10 |     b",
        "import time:        20 |         30 |   a",
        "import time:         5 |          5 |   c",
        "import time:         1 |         36 | zoom_mcp",
    ])
    entries = parse_importtime(sample)
    assert [e["depth"] for e in entries] == [0, 2, 1, 1, 0]
    tree = subtree(entries, "zoom_mcp")
    assert [e["module"] for e in tree] == ["b", "a", "c", "zoom_mcp"]
    assert tree[-1]["cumulative_us"] == 36


def _run_bench(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOOM_", "CLAUDE_"))}
    env.update(BENCH_QUICK="1", BENCH_RESULTS_DIR=str(tmp_path), BENCH_IDLE_SECONDS="1")
    return subprocess.run([sys.executable, "-m", "bench", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=240)


def test_cli_rejects_unknown_groups_and_lists_them(tmp_path):
    cp = _run_bench(tmp_path, "nonsense")
    assert cp.returncode == 2 and "unknown group" in cp.stderr
    cp = _run_bench(tmp_path, "--list")
    assert cp.returncode == 0
    assert cp.stdout.split() == ["overhead", "coldstart", "tokens", "kit", "pagination", "concurrency",
                                 "footprint", "jq", "catalogue", "latency"]
    assert not list(tmp_path.iterdir())


def test_quick_run_prints_the_table_and_writes_json(tmp_path):
    cp = _run_bench(tmp_path, "overhead", "tokens", "kit")
    assert cp.returncode == 0, cp.stderr[-3000:]
    rows = [ln for ln in cp.stdout.splitlines() if ln.startswith("| ")]
    assert rows[0].startswith("| # | measurement |")
    numbers = [ln.split(" | ")[0].lstrip("| ") for ln in rows[1:]]  # rows[0] is the header
    assert numbers[0] == "1a"
    assert any(n.startswith("3") for n in numbers) and any(n.startswith("4") for n in numbers)
    files = list(tmp_path.glob("*.json"))
    assert len(files) == 1 and files[0].name.endswith("-quick.json")  # latest.json untouched
    doc = json.loads(files[0].read_text())
    assert doc["meta"]["quick"] is True and doc["meta"]["groups"] == ["overhead", "tokens", "kit"]
    results = doc["results"]
    assert {r["group"] for r in results} == {"overhead", "tokens", "kit"}
    keys = {(r["group"], r["key"]) for r in results}
    for want in [("overhead", "tool_call"), ("overhead", "added"), ("overhead", "floor"),
                 ("tokens", "steady"), ("tokens", "refresh"), ("kit", "check"), ("kit", "get"),
                 ("kit", "refresh")]:
        assert want in keys, want
    # Every piece a measurement needs is in the repository: "n/a" here would be a broken measurement.
    for r in results:
        assert set(r) == ROW_KEYS
        assert r["status"] == "ok", r
        assert set(r["value"]) == {"median", "p95", "n"} and r["value"]["n"] >= 1
    # The baselines need nothing but the SDK and bash: they are measured whatever else is missing.
    floor = next(r for r in results if r["key"] == "floor")
    assert floor["status"] == "ok" and floor["baseline"]["n"] >= 1
    check = next(r for r in results if r["key"] == "check")
    assert check["baseline"] is not None and check["baseline_name"] == "bash -c :"


def test_quick_run_of_the_jq_group_compares_with_the_check_before(tmp_path):
    cp = _run_bench(tmp_path, "jq")
    assert cp.returncode == 0, cp.stderr[-3000:]
    (doc,) = [json.loads(f.read_text()) for f in tmp_path.glob("*.json")]
    rows = {r["key"]: r for r in doc["results"]}
    assert set(rows) == {"warm", "cold", "run"}
    assert all(r["status"] == "ok" and r["baseline"]["n"] >= 1 for r in rows.values())
    assert rows["warm"]["target"] == "≤ before + 0.2 ms" and rows["warm"]["met"] in (True, False)
    assert rows["warm"]["baseline_name"].startswith("before: in-server")
