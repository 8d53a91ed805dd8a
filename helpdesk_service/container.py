"""The one place that builds the helpdesk service's objects from the settings.

:func:`build_container` makes the ticket backend (unless one is given), the outbox and its worker,
known problems, the escalation service, the live KB searcher and the record stores. The app
(:mod:`helpdesk_service.app`) keeps the container on ``app.state.container`` and runs the worker for
its lifetime; routes reach the parts through :mod:`helpdesk_service.deps`.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.periodic import PeriodicTask
from core.records import RecordStore
from helpdesk_service.accounts import AccountStore
from helpdesk_service.channel_store import ChannelStore
from helpdesk_service.editor.service import EditorService
from helpdesk_service.handoff.rasa import RasaClient
from helpdesk_service.handoff.service import HandoffService
from helpdesk_service.handoff.store import HandoffStore
from helpdesk_service.handoff.worker import handoff_worker
from core.settings import Settings
from escalation.complaints import Complaint, complaint_store
from escalation.notifications import ChatNotifier
from escalation.outbox import Outbox, OutboxWorker
from escalation.outcomes import OutcomeStore
from escalation.problems import ProblemStore
from escalation.review import UnclearMessage, unclear_store
from escalation.service import EscalationService
from escalation.tickets.base import TicketBackend
from escalation.tickets.factory import build_backend
from kb_index.embedders import get_embedder
from kb_index.live import LiveKbSearcher
from helpdesk_service.event_feed import EventStore, RabbitEventFeed
from helpdesk_service.gdpr import PersonalData, retention_worker
from helpdesk_service.limits import ServiceLimits


@dataclass
class Container:
    settings: Settings
    api_token: str
    tickets: TicketBackend
    outbox: Outbox
    outbox_worker: OutboxWorker
    problems: ProblemStore
    escalations: EscalationService
    kb: LiveKbSearcher
    outcomes: OutcomeStore
    unclear: RecordStore[UnclearMessage]       # messages the NLU did not understand (review queue)
    complaints: RecordStore[Complaint]
    chat_secret: str                           # signs the web chat sessions (checked by Rasa's socket.io channel)
    limits: ServiceLimits
    personal_data: PersonalData                # GDPR: export, erase, retention across every store
    retention_worker: PeriodicTask
    accounts: AccountStore                     # staff accounts and login sessions
    handoffs: HandoffService                   # live chats handed to agents
    handoff_worker: PeriodicTask
    editor: EditorService                      # the KB editors' inbox, map, articles, analytics
    channels: ChannelStore                     # Teams conversation references, messages waiting for REST users
    event_feed: RabbitEventFeed | None = None  # scaled setup: Rasa's events from RabbitMQ into the events table


def event_feed(settings: Settings) -> RabbitEventFeed | None:
    s = settings.scale
    if not s.feed_events:
        return None
    return RabbitEventFeed(EventStore(settings.conversation_events_path()), s.rabbitmq_host, s.rabbitmq_port,
                           s.rabbitmq_user, s.rabbitmq_password, s.rabbitmq_queue)


def build_handoffs(settings: Settings, backend: TicketBackend) -> HandoffService:
    host = settings.rasa.host if settings.rasa.host not in ("", "0.0.0.0", "::") else "127.0.0.1"
    rasa = RasaClient(f"http://{host}:{settings.rasa.port}", settings.rasa_token())
    tracker_db = settings.conversation_events_path()
    return HandoffService(settings, HandoffStore(settings.data_path / "handoff.db"), rasa, backend, tracker_db)


def build_container(settings: Settings, tickets: TicketBackend | None = None) -> Container:
    backend = tickets or build_backend(settings)
    t = settings.tickets
    outbox = Outbox(settings.outbox_path, backend, retry_initial=t.retry_initial_seconds,
                    retry_max=t.retry_max_seconds, on_delivered=ChatNotifier(settings).ticket_created)
    problems_path = settings.path(settings.problems.path or settings.data_path / "problems.db")
    handoffs = build_handoffs(settings, backend)
    unclear = unclear_store(settings.data_path / "review.db")
    outcomes = OutcomeStore(settings.data_path / "analytics.db")
    editor = EditorService(settings, unclear, outcomes.path, handoffs.tracker_db, lambda: get_embedder(settings.kb.encoder),
                           handoffs.store.satisfaction, tickets=lambda: backend.list(limit=settings.editor.sla_tickets))
    problems = ProblemStore(problems_path, settings.problems, lambda: get_embedder(settings.kb.encoder))
    return Container(
        settings=settings,
        api_token=settings.api_token(),
        tickets=backend,
        outbox=outbox,
        outbox_worker=OutboxWorker(outbox, t.worker_poll_seconds),
        problems=problems,
        escalations=EscalationService(settings, backend, outbox, problems),
        kb=LiveKbSearcher(settings.path(settings.kb.index_dir), settings.kb.encoder,
                          fallback_languages=(settings.default_language,)),
        outcomes=outcomes,
        unclear=unclear,
        complaints=complaint_store(settings.data_path / "complaints.db", settings.privacy.mask_personal_data),
        chat_secret=settings.chat_session_secret(),
        limits=ServiceLimits(settings.limits),
        personal_data=(personal := PersonalData(settings, backend)),
        retention_worker=retention_worker(personal),
        accounts=AccountStore(settings.data_path / "accounts.db", settings.handoff.session_hours),
        handoffs=handoffs,
        handoff_worker=handoff_worker(handoffs, settings.handoff.poll_seconds),
        editor=editor,
        event_feed=event_feed(settings),
        channels=ChannelStore(settings.data_path / "channels.db"),
    )
