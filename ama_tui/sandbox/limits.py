"""What a sandboxed strategy may use; any excess stops it."""

from __future__ import annotations

from dataclasses import dataclass, fields

from ama_tui.kit.jail import ProcessLimits
from ama_tui.kit.wire import MAX_CHILD_LINE


@dataclass(frozen=True, slots=True)
class Limits:
    call_timeout: float = 2.0
    """Wall-clock seconds for one start, tick, fill or close (the engine's own answers excluded)."""
    start_timeout: float = 10.0
    """Seconds for the interpreter to start and confine itself, before the strategy's file runs."""
    cpu_seconds: int = 3600
    """CPU seconds over the whole run (RLIMIT_CPU)."""
    memory_bytes: int = 1 << 30
    """Address space (RLIMIT_AS)."""
    open_files: int = 16
    """Descriptors (RLIMIT_NOFILE); the protocol and stdio use five."""
    file_bytes: int = 64 << 20
    """The largest file it may write in its scratch folder (RLIMIT_FSIZE)."""
    max_calls_per_handler: int = 100
    """Calls (orders and queries) during one start, tick, fill or close."""
    max_calls_per_second: int = 1000
    """Calls within any one second, across handlers (a flood)."""
    max_logs_per_handler: int = 100
    max_line_bytes: int = MAX_CHILD_LINE
    max_stderr_bytes: int = 64 << 10
    """The captured stderr (and stray prints) kept: its last bytes."""
    max_source_bytes: int = 1 << 20

    def __post_init__(self) -> None:
        for field in fields(self):
            if not getattr(self, field.name) > 0:
                raise ValueError(f"Limits.{field.name} must be positive, got {getattr(self, field.name)!r}")
        if self.open_files < 8:
            raise ValueError("Limits.open_files must be at least 8 (the protocol and stdio use five)")

    def process(self) -> ProcessLimits:
        return ProcessLimits(
            memory_bytes=int(self.memory_bytes),
            cpu_seconds=max(1, int(self.cpu_seconds)),
            open_files=int(self.open_files),
            file_bytes=int(self.file_bytes),
        )
