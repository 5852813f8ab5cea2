"""The MCP Bundle: its size, and the time from unpacking it to the first answered tools/list.

    python -m bench.bundle [BUNDLE.mcpb] [--cold N] [--warm N]    # default: make bundle's, 3, 10

Each run unpacks the .mcpb into a new folder (the MCPB CLI's unpack, as Claude Desktop installs it)
and starts it the way the host starts a uv bundle (bundle/host.py), against the simulator, until the
official MCP client has the tools/list answer: unpack + uv (a venv, the locked dependencies) +
Python + the first token fetch + initialize + tools/list.
- cold: uv's cache empty: every dependency is downloaded from PyPI (the network's speed counts);
- warm: uv's cache filled, a new user (new venv from the cache): a second install;
- restart: the same install started again (venv in place): what every Claude Desktop start costs.
Baseline, for context: ./run.sh from a checkout (its .venv ready) to its first tools/list.
Not part of `make bench` (it needs npm and PyPI); interleaving is unneeded: the three differ by
seconds, far above this machine's noise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from bench.common import percentile
from bundle import host
from zoomsim import ZoomSimulator

ROOT = Path(__file__).resolve().parent.parent
UV = ROOT / ".venv" / "bin" / "uv"


def extras(sim: ZoomSimulator, cache: Path) -> dict[str, str]:
    env = {"ZOOM_OAUTH_URL": sim.oauth_url, "ZOOM_API_BASE_URL": sim.api_url, "UV_CACHE_DIR": str(cache),
           "UV_PYTHON": getattr(sys, "_base_executable", sys.executable), "UV_PYTHON_DOWNLOADS": "never",
           "NO_PROXY": "127.0.0.1,localhost"}
    env.update({k: v for k in ("SSL_CERT_FILE", "SSL_CERT_DIR", "HTTPS_PROXY") if (v := os.environ.get(k))})
    return env


async def first_tools_list(params: StdioServerParameters, errlog: Path) -> None:
    with open(errlog, "w") as err:
        async with Client(stdio_client(params, errlog=err)) as client:
            assert (await client.list_tools()).tools


def one(bundle_file: Path, work: Path, sim: ZoomSimulator, cache: Path, home: Path | None = None,
        folder: Path | None = None) -> tuple[float, Path, Path]:
    """Seconds from unpack (or, with `folder`, from spawn) to the tools/list answer."""
    settings = {"account_id": sim.account_id, "client_id": sim.client_id, "client_secret": sim.client_secret}
    t0 = time.perf_counter()
    if folder is None:
        folder = host.unpack(bundle_file, Path(tempfile.mkdtemp(dir=work)) / "ext")
    if home is None:
        home = Path(tempfile.mkdtemp(dir=work))
    params = host.server_params(folder, str(UV), home, settings, extra_env=extras(sim, cache), cwd=work)
    anyio.run(first_tools_list, params, work / "stderr.log")
    return time.perf_counter() - t0, home, folder


def run_sh(sim: ZoomSimulator, work: Path) -> float:
    env_file = work / ".env"
    env_file.write_text(f"ZOOM_ACCOUNT_ID={sim.account_id}\nZOOM_CLIENT_ID={sim.client_id}\n"
                        f"ZOOM_CLIENT_SECRET={sim.client_secret}\n")
    env_file.chmod(0o600)
    params = StdioServerParameters(command=str(ROOT / "run.sh"), env={
        "ZOOM_ENV_FILE": str(env_file), "ZOOM_OAUTH_URL": sim.oauth_url, "ZOOM_API_BASE_URL": sim.api_url,
        "CLAUDE_CONFIG_FILE": str(work / "claude.json"), "ZOOM_RESTART_CLAUDE": "0"})
    t0 = time.perf_counter()
    anyio.run(first_tools_list, params, work / "stderr-run-sh.log")
    return time.perf_counter() - t0


def stats(samples: list[float]) -> dict:
    return {"n": len(samples), "median_s": round(percentile(samples, 50), 3),
            "p95_s": round(percentile(samples, 95), 3), "min_s": round(min(samples), 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bundle")
    parser.add_argument("bundle", nargs="?", type=Path)
    parser.add_argument("--cold", type=int, default=3)
    parser.add_argument("--warm", type=int, default=10)
    args = parser.parse_args(argv)
    bundle_file = args.bundle
    if bundle_file is None:
        subprocess.run(["make", "--no-print-directory", "bundle"], cwd=ROOT, check=True,
                       stdout=sys.stderr)
        bundle_file = max((ROOT / "dist").glob("zoom-mcp-*.mcpb"), key=lambda p: p.stat().st_mtime)
    out: dict = {"bundle": bundle_file.name, "size_bytes": bundle_file.stat().st_size}
    with tempfile.TemporaryDirectory() as tmp, ZoomSimulator(host="127.0.0.1", port=0) as sim:
        work = Path(tmp)
        cold = []
        for i in range(args.cold):
            cache = work / f"uv-cold-{i}"
            cold.append(one(bundle_file, work, sim, cache)[0])
            print(f"cold {i + 1}: {cold[-1]:.2f} s", file=sys.stderr)
            shutil.rmtree(cache, ignore_errors=True)
        warm_cache = work / "uv-warm"
        _, home, folder = one(bundle_file, work, sim, warm_cache)  # fills the cache
        warm, restart, baseline = [], [], []
        for i in range(args.warm):
            warm.append(one(bundle_file, work, sim, warm_cache)[0])
            restart.append(one(bundle_file, work, sim, warm_cache, home=home, folder=folder)[0])
            baseline.append(run_sh(sim, work))
            print(f"warm {i + 1}: {warm[-1]:.2f} s, restart {restart[-1]:.2f} s, run.sh {baseline[-1]:.2f} s",
                  file=sys.stderr)
    out.update(cold=stats(cold), warm=stats(warm), restart=stats(restart), run_sh_baseline=stats(baseline))
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
