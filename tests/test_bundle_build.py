"""The bundle's build pieces that need neither npm nor the network: what it carries, the manifest
it generates, its icon and its dependency pins. The built .mcpb itself: tests/test_bundle_e2e.py."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import pytest

import bundle_mode
from bundle import build, contents, icon, manifest
from bundle.mcpb import BuildError

ROOT = Path(__file__).resolve().parent.parent


def test_contents_follow_the_imports_also_the_late_ones():
    py = contents.python_files()
    # imported inside functions: main() (token_monitor, bundle_mode), a tool (vtt)
    assert {"zoom_mcp.py", "token_monitor.py", "bundle_mode.py", "vtt.py", "jq_sandbox.py",
            "zoom_tools/__init__.py", "zoom_tools/recordings.py"} <= set(py)
    assert not [p for p in py if p.startswith(("tests/", "bench/", "zoomsim/", "bundle/", "demo"))]
    assert {"scripts/get_zoom_token.sh", "scripts/lib/common.sh"} <= set(contents.kit_files())


def test_contents_of_a_project_without_one_module_leave_it_out(tmp_path):
    """Derived, not listed: a module nothing imports is not carried."""
    for rel in contents.files():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes((ROOT / rel).read_bytes())
    (tmp_path / "unused_helper.py").write_text("X = 1\n")
    assert "unused_helper.py" not in contents.files(tmp_path)
    for module in tmp_path.rglob("*.py"):  # every import of vtt gone: vtt.py is no longer carried
        text = module.read_text()
        module.write_text(re.sub(r"^(\s*)from vtt import (\w+)$", r"\1\2 = str", text, flags=re.M))
    assert "vtt.py" in contents.python_files(ROOT)
    assert "vtt.py" not in contents.python_files(tmp_path)


def test_user_config_maps_to_the_variables_the_kit_already_reads():
    m = manifest.build(tools=[])
    env = m["server"]["mcp_config"]["env"]
    readers = (ROOT / "scripts" / "lib" / "common.sh").read_text() + (ROOT / "token_monitor.py").read_text()
    for key in m["user_config"]:
        var = next(name for name, value in env.items() if value == f"${{user_config.{key}}}")
        assert var in readers, var  # not a new name the kit would ignore
    assert m["user_config"]["client_secret"]["sensitive"] is True
    assert [m["user_config"][k]["title"] for k in ("account_id", "client_id", "client_secret")] == \
        ["Account ID", "Client ID", "Client Secret"]
    assert all(m["user_config"][k]["required"] for k in ("account_id", "client_id", "client_secret"))
    interval = m["user_config"]["display_interval"]
    assert not interval["required"] and interval["default"] == 60 and interval["type"] == "number"
    assert env[bundle_mode.MARK] == "1"
    # Nothing inside the extension's folder: venv and bytecode go to the user's cache.
    assert env["UV_PROJECT_ENVIRONMENT"].startswith("${HOME}/")
    assert env["PYTHONPYCACHEPREFIX"].startswith("${HOME}/")
    args = m["server"]["mcp_config"]["args"]
    assert args == ["run", "--frozen", "--directory", "${__dirname}", "zoom_mcp.py"]
    assert m["display_name"] == bundle_mode.DISPLAY_NAME  # the name explain() points the user at
    assert m["compatibility"]["platforms"] == ["darwin", "linux"]
    version = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M).group(1)
    assert m["version"] == version and m["manifest_version"] == "0.4" and m["server"]["type"] == "uv"


def test_manifest_tools_come_from_the_servers_tools_list():
    tools, _prompts = manifest.server_catalogue()
    names = [t["name"] for t in tools]
    assert "zoom_token_status" in names and "zoom_get_user" in names and len(names) == len(set(names))
    assert all(t["description"] for t in tools)


def test_icon_is_a_512_png_with_a_transparent_corner_and_an_opaque_middle():
    data = icon.png()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (width, height, depth, colour) == (512, 512, 8, 6)
    start = data.index(b"IDAT") + 4
    length = struct.unpack(">I", data[start - 8:start - 4])[0]
    raw = zlib.decompress(data[start:start + length])
    row = 1 + 512 * 4
    assert len(raw) == 512 * row

    def alpha(x, y):
        return raw[y * row + 1 + x * 4 + 3]

    assert alpha(0, 0) == 0 and alpha(256, 256) == 255


def test_pins_are_the_lock_files_versions():
    pins = build.pins()
    assert any(p.startswith("mcp==") for p in pins) and any(p.startswith("pytest==") for p in pins)
    lock = dict(line.split("==") for line in (ROOT / "requirements.txt").read_text().splitlines()
                if "==" in line)
    assert {p.split("==")[0]: p.split("==")[1] for p in pins}["requests"] == lock["requests"]


def test_the_bundles_pyproject_drops_only_the_dev_extras(tmp_path):
    target = tmp_path / "pyproject.toml"
    target.write_text((ROOT / "pyproject.toml").read_text())
    build._drop_dev_extras(target)
    text = target.read_text()
    assert "[project.optional-dependencies]" not in text and "[tool.ruff]" in text
    assert manifest.tomllib.loads(text)["project"]["dependencies"] == \
        manifest.tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    target.write_text('[project]\nname = "x"\n[project.optional-dependencies]\ndev = ["a"]\nname2 = 1\n')
    with pytest.raises(BuildError):  # a cut that would take more than that table
        build._drop_dev_extras(target)
