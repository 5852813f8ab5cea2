"""Build the MCP Bundle (.mcpb) that installs zoom-mcp in Claude Desktop with one click.

`make bundle` runs `python -m bundle`: it stages exactly the files the server needs (contents.py),
writes manifest.json from the server itself (manifest.py), draws icon.png (icon.py), locks the
dependencies for uv with the versions of requirements.txt, and validates and packs the folder with
the official, pinned MCPB CLI (mcpb.py) into dist/zoom-mcp-<version>.mcpb.
"""
