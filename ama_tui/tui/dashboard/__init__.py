"""The dashboard: the screen a running packer is watched and steered from."""

from ama_tui.tui.dashboard.params_editor import ParamsEditor
from ama_tui.tui.dashboard.screen import DashboardScreen

__all__ = ["DashboardScreen", "ParamsEditor"]
