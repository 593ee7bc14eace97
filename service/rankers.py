"""One fitted ranker per organisation, kept fresh without ever blocking a request.

Every catalogue write bumps its owner's `catalogue_version` in the same transaction. Each
process checks those versions every `refresh_seconds` (and right after its own writes); when an
organisation's view changed, a background thread fits a new snapshot while requests keep using
the old one, then swaps it in. Only an organisation's very first request waits for a fit.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from recommender import make_ranker
from recommender.activities import Activity
from recommender.frameworks import Framework, by_id
from recommender.persistence import load_or_fit
from recommender.ranker import GapRanker
from recommender.tagging import TagInferrer
from service import store
from service.models import utcnow

log = logging.getLogger(__name__)


Cell = tuple[str, str]
"""(strand, level) of one framework."""


@dataclass(frozen=True)
class Snapshot:
    """An immutable view of one organisation's catalogue and the ranker fitted on it."""

    org: str
    version: tuple[int, ...]
    frameworks: Mapping[str, Framework]
    activities: Mapping[str, Activity]
    ranker: GapRanker = field(repr=False)
    built_at: datetime = field(default_factory=utcnow)

    @cached_property
    def tagger(self) -> TagInferrer:
        """A tagger fitted on this catalogue, to suggest tags for any activity."""
        fitted: TagInferrer | None = getattr(self.ranker, "tagger_", None)
        if fitted is not None:
            return fitted
        return TagInferrer().fit(list(self.frameworks.values()), list(self.activities.values()))

    def cell_counts(self, framework: str) -> tuple[Counter[Cell], Counter[Cell]]:
        """Active activities per (strand, level) of `framework`: tagged by a coordinator, and
        inferred with enough confidence for the ranker to use."""
        given: Counter[Cell] = Counter()
        inferred: Counter[Cell] = Counter()
        for activity in self.activities.values():
            for t in self.ranker.tags_for(activity):
                if t.tag.framework != framework:
                    continue
                if not t.inferred:
                    given[t.tag.strand, t.tag.level] += 1
                elif t.confidence >= self.ranker.min_tag_confidence:
                    inferred[t.tag.strand, t.tag.level] += 1
        return given, inferred


def version_label(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


class RankerPool:
    def __init__(self, engine: Engine, models_dir: Path | None) -> None:
        self.engine = engine
        self.models_dir = models_dir
        self._snapshots: dict[str, Snapshot] = {}
        self._first_build = threading.Lock()
        self._pending: dict[str, Future[None]] = {}
        self._pending_lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ranker-refit")
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None

    def start_polling(self, seconds: float) -> None:
        """Check for catalogue changes, by any process sharing the database, every `seconds`."""

        def poll() -> None:
            while not self._stop.wait(seconds):
                try:
                    self.refresh()
                except Exception:  # a database blip must not end the polling
                    log.warning("checking the catalogue version failed", exc_info=True)

        self._poller = threading.Thread(target=poll, name="ranker-poll", daemon=True)
        self._poller.start()

    def current(self, org_id: str) -> Snapshot | None:
        """The snapshot in use, without ever building one."""
        return self._snapshots.get(org_id)

    def get(self, org_id: str) -> Snapshot:
        snapshot = self._snapshots.get(org_id)
        if snapshot is not None:
            return snapshot
        with self._first_build:
            if org_id not in self._snapshots:
                self._snapshots[org_id] = self._load(org_id)
            return self._snapshots[org_id]

    def refresh(self) -> None:
        """Schedule a rebuild for every cached organisation whose view changed."""
        if not self._snapshots:
            return
        with Session(self.engine) as session:
            for org_id, snapshot in list(self._snapshots.items()):
                org = store.organisation(session, org_id)
                if store.view_version(session, org) != snapshot.version:
                    self._schedule(org_id)

    def close(self) -> None:
        self._stop.set()
        if self._poller is not None:
            self._poller.join()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _schedule(self, org_id: str) -> None:
        with self._pending_lock:
            running = self._pending.get(org_id)
            if running is not None and not running.done():
                return  # the running rebuild reads versions first; the next check catches up
            self._pending[org_id] = self._executor.submit(self._rebuild, org_id)

    def _rebuild(self, org_id: str) -> None:
        try:
            self._snapshots[org_id] = self._load(org_id)
        except Exception:  # keep serving the old snapshot; the next check retries
            log.exception("rebuilding the ranker for %s failed", org_id)

    def _load(self, org_id: str) -> Snapshot:
        with Session(self.engine) as session:
            org = store.organisation(session, org_id)
            version = store.view_version(session, org)  # before the data: never newer than it
            frameworks = store.frameworks(session, org)
            activities = store.activities(session, org)
        ranker = load_or_fit(self.models_dir, frameworks, activities, make_ranker)
        return Snapshot(org_id, version, by_id(frameworks), {a.id: a for a in activities}, ranker)
