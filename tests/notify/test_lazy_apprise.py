"""apprise is imported only when notifications are configured: the commands stay fast to start."""

from __future__ import annotations

import json
import subprocess
import sys


def test_the_run_paths_do_not_import_apprise() -> None:
    script = (
        "import json, sys\n"
        "import ama_tui.headless, ama_tui.tui.engine_run, ama_tui.arena.command\n"
        "from ama_tui.notify.hooks import RunNotifications\n"
        "RunNotifications.from_environment(None, environ={}).close()\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = set(json.loads(done.stdout.splitlines()[-1]))
    assert "ama_tui.notify.hooks" in loaded
    assert not {name for name in loaded if name == "apprise" or name.startswith("apprise.")}
