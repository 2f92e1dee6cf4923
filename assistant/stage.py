"""The one interface every answer stage has."""

from __future__ import annotations

from collections.abc import Generator
from typing import ClassVar

from assistant.work import Outcome, Work


class Stage:
    """Reads the products of earlier stages from ``work``, adds its own, and returns an
    outcome to stop the run (answered, refused, failed) or None to go on."""

    name: ClassVar[str]

    def run(self, work: Work) -> Outcome | None:
        raise NotImplementedError

    def stream(self, work: Work) -> Generator[str, None, Outcome | None]:
        """Text pieces of the answer as the stage makes them, then its outcome (most stages
        make no text)."""
        return self.run(work)
        yield  # makes this a generator that yields nothing
