"""make conformance: the official MCP conformance suite against the real server (python -m conformance).

suite.py installs and runs the suite and judges its results; stack.py starts the server on the Zoom
simulator; proxy.py adds the bearer token the suite cannot send.
"""
