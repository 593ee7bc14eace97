"""Progress bars for long commands: drawn on stderr when it is a terminal, nothing otherwise.

Piped or redirected runs (CI, scripts, Typer's CliRunner) must print exactly what they printed
before, so every command asks `bars()` for its display and gets a silent one there; stdout is
never touched, as it may carry data.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)


class Task:
    """One line of the display; every method does nothing when the display is off."""

    def __init__(self, progress: Progress | None, task: TaskID | None) -> None:
        self._progress = progress
        self._task = task

    def advance(self, steps: int = 1) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, steps)

    def update(self, done: int, total: int) -> None:
        """Set both counts: the shape of the core's plain `progress(done, total)` callbacks."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=done, total=total)


class Bars:
    """The tasks of one command: counted ones (`task`) and one-off phases (`step`)."""

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress

    def task(self, description: str, total: int | None = None) -> Task:
        """A counted task; with no total yet the bar pulses until `update` gives one."""
        if self._progress is None:
            return Task(None, None)
        return Task(self._progress, self._progress.add_task(description, total=total))

    @contextmanager
    def step(self, description: str) -> Iterator[None]:
        """A phase with nothing to count (one call into the core): complete when the block is."""
        task = self.task(description)
        yield
        task.update(1, 1)


@contextmanager
def bars(*, stdout_is_data: bool = False) -> Iterator[Bars]:
    """The progress display of one command, stopped (final counts drawn) when the block ends.

    Shown only if stderr is a real terminal that rich can draw live on (not TERM=dumb); rich
    alone would also draw when FORCE_COLOR is set, which CI sets for colour in piped logs.
    With `stdout_is_data` (commands that stream results as they go) it is also off when stdout
    is a terminal, where the bar would be drawn through the results: the lines are the progress.
    """
    console = Console(stderr=True)
    shown = console.is_interactive and _isatty(sys.stderr)
    if not shown or (stdout_is_data and _isatty(sys.stdout)):
        yield Bars(None)
        return
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        redirect_stdout=False,  # rich would send stdout, our data, to its console on stderr
        redirect_stderr=False,
    )
    with progress:
        yield Bars(progress)


def _isatty(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except ValueError:  # closed
        return False
