"""The Zoom tools, one module per area of Zoom's API; `add_tools` puts them all on a server.

Importing a module registers its tools (`@zoom_tool`), in the order listed here: tools/list keeps it.
"""

from zoom_tools import (  # noqa: F401
    fan_out,
    meetings,
    past_meetings,
    recordings,
    reports,
    status,
    users,
    webinars,
)
from zoom_tools.base import TOOLS, ZoomApp, add_tools

__all__ = ["TOOLS", "ZoomApp", "add_tools"]
