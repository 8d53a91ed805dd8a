"""Rasa's SQL tracker store, storing conversations with secrets (and personal data) masked.

A user who types a password anyway is told not to (action_validate_slot_mappings); what is kept of
the conversation must not hold it either. Before events are written, user texts, their entity
values and text slot values pass through ``core.privacy.mask``. Rasa has already parsed and
answered the message by then; only what is stored changes.

endpoints.yml: ``tracker_store: {type: bot.tracker_store.MaskingSQLTrackerStore, ...}``;
``mask_personal_data`` (settings ``privacy.mask_personal_data``, set by the launcher) also masks
e-mail addresses, phone numbers, IBANs and national register numbers (``phonenumbers`` and
``python-stdnum``, in requirements/rasa.lock, imported only then). Like bot/components, this module
runs inside Rasa; loading it also applies :mod:`bot.rasa_speedups` and :mod:`bot.rasa_failsafe` (every
setup's endpoints file names this tracker store).
"""

from __future__ import annotations

import itertools
import json
from collections import OrderedDict
from typing import Any, Iterator, Optional

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import rasa_failsafe, rasa_speedups
from core.privacy import mask

rasa_speedups.apply()
rasa_failsafe.apply()

TRUE_VALUES = ("1", "true", "yes", "on")
STORED = "_stored_events"   # on a tracker this store loaded or saved: how many of its events are stored
LAST_ID = "_last_event_id"  # ... and the id of the conversation's last stored event
KEPT_TRACKERS = 1000        # trackers kept in memory after their save, the most recently saved


def _masked(value: Any, personal: bool) -> Any:
    return mask(value, personal) if isinstance(value, str) else value


def mask_event(event: Any, personal: bool) -> bool:
    """Mask one event in place (user message text and entities, text slot values); whether anything
    was masked."""
    if isinstance(event, UserUttered):
        before = (event.text, [entity.get("value") for entity in event.entities or []])
        event.text = _masked(event.text, personal)
        event.parse_data["text"] = event.text
        for entity in event.entities or []:
            entity["value"] = _masked(entity.get("value"), personal)
        return before != (event.text, [entity.get("value") for entity in event.entities or []])
    if isinstance(event, SlotSet):
        before = event.value
        event.value = _masked(event.value, personal)
        return before != event.value
    return False


def pooled_sqlite_engine(engine: Any) -> Any:
    """The SQLite engine Rasa made, with kept connections and SQLite in WAL mode.

    SQLAlchemy 1.4 opens and closes a SQLite file connection per session (NullPool); in WAL mode
    closing the last connection checkpoints the log each time. Here connections are kept (one
    thread: Rasa runs the store on its event loop) and a commit waits for no fsync
    (``synchronous=NORMAL``): together 10-14 % of the Rasa process per turn went to opening,
    committing and closing (docs/performance.md). A crash of the process loses nothing; a power
    cut at most the last turns. Readers no longer block the writer either."""
    import sqlalchemy as sa
    from sqlalchemy import event
    from sqlalchemy.pool import QueuePool

    pooled = sa.create_engine(engine.url, poolclass=QueuePool, pool_size=2, max_overflow=8,
                              connect_args={"check_same_thread": False})

    @event.listens_for(pooled, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    engine.dispose()
    return pooled


def pinging_engine(engine: Any) -> Any:
    """The PostgreSQL engine Rasa made, checking a pooled connection before it is used.

    Without the check, after PostgreSQL was restarted (or dropped our connections) every pooled
    connection is dead and the next turns fail one after the other, though the server is back."""
    import sqlalchemy as sa
    from rasa.core.tracker_store import create_engine_kwargs

    pinging = sa.create_engine(engine.url, pool_pre_ping=True, **create_engine_kwargs(engine.url))
    engine.dispose()
    return pinging


class MaskingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, mask_personal_data: Any = False, kept_trackers: Any = KEPT_TRACKERS,
                 **kwargs: Any) -> None:
        self._kept: OrderedDict[str, DialogueStateTracker] = OrderedDict()
        self.kept_trackers = int(kept_trackers)
        super().__init__(*args, **kwargs)
        self.mask_personal_data = str(mask_personal_data).strip().lower() in TRUE_VALUES
        if self.engine.dialect.name == "sqlite":
            self.engine = pooled_sqlite_engine(self.engine)
            self.sessionmaker.configure(bind=self.engine)
        elif self.engine.dialect.name == "postgresql":
            self.engine = pinging_engine(self.engine)
            self.sessionmaker.configure(bind=self.engine)

    @property
    def domain(self) -> Any:
        return self._domain

    @domain.setter
    def domain(self, domain: Any) -> None:
        """A new model's domain: the trackers kept were built with the old one's slots."""
        from rasa.shared.core.domain import Domain

        self._kept.clear()
        self._domain = domain or Domain.empty()

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's save, for the events not stored yet only: masked, streamed to the event broker when
        there is one, and written in one INSERT.

        Rasa's counts the stored events in the database (a query with a subquery for the latest
        session), masks nothing, streams by loading the whole conversation again to find the new
        events, and writes through one ORM object per event: 13 % of the process per turn. A tracker
        this store loaded or saved carries how many of its events are stored (:data:`STORED`);
        another (a new one, a copy) is counted in the database as Rasa does."""
        with self.session_scope() as session:
            stored = tracker.__dict__.get(STORED)
            if stored is None:
                stored = self._stored_count(session, tracker)
            new = list(itertools.islice(tracker.events, stored, len(tracker.events)))
            masked = [mask_event(event, self.mask_personal_data) for event in new]
            rows = [self._row(tracker.sender_id, event) for event in new]
            if self.event_broker is not None:
                await self._stream_new_events(self.event_broker, new, tracker.sender_id)
            if rows:
                session.execute(self.SQLEvent.__table__.insert(), rows)
            last_id = self._last_id(session, tracker.sender_id)
            session.commit()
        tracker.__dict__[STORED] = len(tracker.events)
        tracker.__dict__[LAST_ID] = last_id
        if not any(masked):
            self._keep(tracker)

    def _keep(self, tracker: DialogueStateTracker) -> None:
        """Keep a saved tracker for the conversation's next message, if loading it again would give
        the same tracker: nothing was masked in it (its slots would hold what the stored events no
        longer do), and it holds one session only (loading gives the latest session's events)."""
        from rasa.shared.core.events import SessionStarted

        if self.kept_trackers <= 0 or any(isinstance(e, SessionStarted) for e in itertools.islice(tracker.events, 1, None)):
            self._kept.pop(tracker.sender_id, None)
            return
        self._kept[tracker.sender_id] = tracker
        self._kept.move_to_end(tracker.sender_id)
        while len(self._kept) > self.kept_trackers:
            self._kept.popitem(last=False)

    def _take_kept(self, session: Any, sender_id: str) -> Optional[DialogueStateTracker]:
        """The tracker kept for this conversation, handed over (a later load gets it only after its
        next save), if nothing was added since: no event appended in memory after its save and none
        stored by anyone else (the conversation's last event id is still its own)."""
        tracker = self._kept.pop(sender_id, None)
        if tracker is None or len(tracker.events) != tracker.__dict__.get(STORED):
            return None
        return tracker if self._last_id(session, sender_id) == tracker.__dict__.get(LAST_ID) else None

    def _last_id(self, session: Any, sender_id: str) -> Optional[int]:
        import sqlalchemy as sa

        table = self.SQLEvent.__table__
        return session.execute(sa.select(sa.func.max(table.c.id)).where(table.c.sender_id == sender_id)).scalar()

    @staticmethod
    def _row(sender_id: str, event: Any) -> dict[str, Any]:
        data = event.as_dict()
        return {"sender_id": sender_id, "type_name": event.type_name, "timestamp": data.get("timestamp"),
                "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
                "action_name": data.get("name"), "data": json.dumps(data)}

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        """Rasa's query, reading the events' JSON only (Rasa builds an ORM object per stored event,
        a third of the time a message spent loading its conversation)."""
        with self.session_scope() as session:
            if not fetch_events_from_all_sessions:
                kept = self._take_kept(session, sender_id)
                if kept is not None:
                    return kept
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions) \
                .with_entities(self.SQLEvent.id, self.SQLEvent.data).all()
        events = [json.loads(data) for (_, data) in rows]
        if self.domain and events:
            tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
            if not fetch_events_from_all_sessions:
                tracker.__dict__[STORED] = len(events)
                tracker.__dict__[LAST_ID] = rows[-1][0]
            return tracker
        return None

    def _stored_count(self, session: Any, tracker: DialogueStateTracker) -> int:
        """How many events of the latest session are stored, counted in the database (Rasa's
        ``Query.count()`` selects every column of every event in a subquery to count them)."""
        import sqlalchemy as sa

        return self._event_query(session, tracker.sender_id, fetch_events_from_all_sessions=False) \
            .order_by(None).with_entities(sa.func.count(self.SQLEvent.id)).scalar()

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        """The events not stored yet (Rasa's interface, for its callers)."""
        return itertools.islice(tracker.events, self._stored_count(session, tracker), len(tracker.events))
