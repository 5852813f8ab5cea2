"""zoom-mcp benchmarks (issue 7): `make bench` / `python -m bench [GROUP ...]`.

Every figure is measured beside a baseline in the same run, against the Zoom simulator on 127.0.0.1.
One module per measurement group: overhead, coldstart, tokens, kit, pagination, concurrency, footprint.
"""
