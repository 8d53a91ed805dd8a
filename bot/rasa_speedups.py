"""Speed-ups of the Rasa 3.6 server process, applied when Rasa loads our tracker store.

Rasa checks every action server response with ``jsonschema.validate(response, schema)``. That call
first validates the *schema itself* against the JSON Schema meta-schema (Draft 2020-12, with all its
``$dynamicRef`` resolution), on every call: 55-60 % of the Rasa process's CPU per chat turn in our
profile (docs/performance.md). :func:`apply` makes ``RemoteAction._validate_action_result`` use one
validator built once from the same schema: the same responses pass and fail, with the same error
message; the meta-schema check runs once per process instead of several times per turn. Even so,
walking the schema's ``oneOf`` of every event type in Python took 11 % of the process: a response is
first checked by ``jsonschema_rs`` (the same schema compiled in Rust); only one it refuses goes
through the Python validator, which raises Rasa's error.

Rasa posts the whole domain (110 KB of JSON, 94 KB of it the responses in three languages) with
every action call: Rasa encodes it and the action server decodes it several times per turn.
rasa-sdk 3.11 keeps the last domain it got with its digest and answers 449 to a call that names a
digest it does not hold (the protocol of Rasa Pro's selective domain). :func:`apply` makes Rasa send
the digest only, and the call again with the domain when the answer is 449 (a new action server, a
new model): the actions see the same domain.

Rasa finds the class of each stored event (``Event.resolve_by_type``) by walking every subclass of
``Event`` again, for each event of a conversation loaded and each event an action returns: the class
found for a type name is kept.

Rasa runs its model graph (the NLU pipeline on every message, the policies on every prediction)
through ``dask.get``, after working out the graph's minimal part for the asked targets again on each
call. :class:`SequentialGraphRunner` works out the order once per set of targets and calls the same
nodes, with the same inputs, in that order, in the calling thread (``dask.get`` is synchronous too).

Rasa opens a new HTTP client session, and so a new TCP connection, for every call to the action server
(several per turn). :func:`kept_session` keeps one session per endpoint and event loop, whose idle
connections are let go after one second, well before the action server's keep-alive of five seconds
ends them (a request on a connection the server is closing would fail).

Rasa's ``LogisticRegressionClassifier`` takes a message's features with ``get_sparse_features``, which
combines the sequence features (a deep copy and a sparse stack per featurizer) and then drops them:
the classifier only uses the sentence features. :func:`sentence_features_matrix` stacks the same
sentence features in the same column order (sparse first, then dense) and nothing else.

Like bot/components and bot/tracker_store.py, this module runs inside Rasa (``.venv-rasa``).
"""

from __future__ import annotations

from typing import Any, Optional

_applied = False


def _compiled(schema: dict[str, Any]) -> Any:
    """The schema compiled by ``jsonschema_rs`` (Draft 2020-12, as ``validator_for`` picks for a schema
    without ``$schema``), or None where that package is missing."""
    try:
        import jsonschema_rs
    except ImportError:
        return None
    return jsonschema_rs.Draft202012Validator(schema)


def apply() -> None:
    """Install the cached validator (idempotent)."""
    global _applied
    if _applied:
        return
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import DOCS_BASE_URL, RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)          # once, as jsonschema.validate would on every call
    validator = cls(schema)
    fast = _compiled(schema)

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        from jsonschema.exceptions import best_match

        if fast is not None and fast.is_valid(result):
            return True
        error = best_match(validator.iter_errors(result))
        if error is None:
            return True
        error.message += (". Failed to validate Action server response from API, make sure your response from "
                          "the Action endpoint is valid. For more information about the format visit "
                          f"{DOCS_BASE_URL}/custom-actions")
        raise error

    RemoteAction._validate_action_result = _validate_action_result

    RemoteAction._action_call_format = _action_call_with_digest
    from rasa.utils.endpoints import EndpointConfig

    EndpointConfig.request = _request_sending_the_domain_on_449(EndpointConfig.request)
    EndpointConfig.session = kept_session

    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier

    LogisticRegressionClassifier._create_X = sentence_features_matrix

    from rasa.shared.core.events import Event

    Event.resolve_by_type = staticmethod(_remembering(Event.resolve_by_type))

    import rasa.core.processor

    rasa.core.processor.DaskGraphRunner = sequential_graph_runner()   # the model the server loads
    _applied = True


def _remembering(resolve: Any) -> Any:
    """``Event.resolve_by_type`` remembering the class found for a type name (unknown names and
    defaults are not remembered: they go to Rasa's own lookup every time, as before)."""
    found: dict[str, Any] = {}

    def resolve_by_type(type_name: str, default: Any = None) -> Any:
        cls = found.get(type_name)
        if cls is None:
            cls = resolve(type_name, default)
            if cls is not None and cls is not default:
                found[type_name] = cls
        return cls

    return resolve_by_type


DIGEST_KEY = "domain_digest"          # rasa-sdk's name for it
_domains: dict[int, tuple[Any, str]] = {}      # id(Domain) -> (the Domain, its digest)
_by_digest: dict[str, dict[str, Any]] = {}     # digest -> ``domain.as_dict()``


def domain_digest(domain: Any) -> str:
    """The digest of ``domain.as_dict()``, worked out once per Domain object (one per loaded model)."""
    import hashlib
    import json

    known = _domains.get(id(domain))
    if known is None or known[0] is not domain:
        as_dict = domain.as_dict()
        digest = hashlib.sha256(json.dumps(as_dict, sort_keys=True, default=str).encode()).hexdigest()
        if len(_domains) >= 8:                 # models replaced by retraining: keep the last few
            _domains.clear()
            _by_digest.clear()
        known = _domains[id(domain)] = (domain, digest)
        _by_digest[digest] = as_dict
    return known[1]


def _action_call_with_digest(self: Any, tracker: Any, domain: Any) -> dict[str, Any]:
    """What Rasa's ``RemoteAction._action_call_format`` sends, with the domain's digest for the domain."""
    import rasa
    from rasa.shared.core.trackers import EventVerbosity

    return {"next_action": self._name, "sender_id": tracker.sender_id,
            "tracker": tracker.current_state(EventVerbosity.ALL), "version": rasa.__version__,
            DIGEST_KEY: domain_digest(domain)}


def sentence_features_matrix(self: Any, messages: list) -> Any:
    """``LogisticRegressionClassifier._create_X``: one row per message, the sentence features of the
    text (every sparse featurizer's, then every dense one's), as Rasa's own builds them."""
    import numpy as np
    from rasa.shared.nlu.constants import TEXT
    from scipy.sparse import csr_matrix, hstack, vstack

    rows = []
    for message in messages:
        _, sparse = message._filter_sparse_features(TEXT, [])
        _, dense = message._filter_dense_features(TEXT, [])
        parts = [f.features for f in sparse] + [np.atleast_2d(f.features) for f in dense]
        rows.append(hstack(parts, format="csr") if parts else csr_matrix([]))
    return vstack(rows)


CLIENT_KEEPALIVE_S = 1.0     # idle connections closed by us first (Sanic's keep-alive is 5 s)


class _LeftOpen:
    """A session that ``async with`` hands out and leaves open (Rasa closes its own at the end)."""

    def __init__(self, session: Any) -> None:
        self.session = session

    async def __aenter__(self) -> Any:
        return self.session

    async def __aexit__(self, *_exc: Any) -> None:
        return None


def kept_session(self: Any) -> Any:
    """``EndpointConfig.session``: the endpoint's client session on this event loop, made once, with
    Rasa's headers, basic auth and timeout."""
    import asyncio

    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT

    loop = asyncio.get_running_loop()
    kept = self.__dict__.get("_kept_session")
    if kept is None or kept[0] is not loop or kept[1].closed:
        auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
        session = aiohttp.ClientSession(headers=self.headers, auth=auth,
                                        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                                        connector=aiohttp.TCPConnector(keepalive_timeout=CLIENT_KEEPALIVE_S))
        kept = self.__dict__["_kept_session"] = (loop, session)
    return _LeftOpen(kept[1])


def _request_sending_the_domain_on_449(request: Any) -> Any:
    from rasa.utils.endpoints import ClientResponseError

    async def send(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await request(self, *args, **kwargs)
        except ClientResponseError as exc:
            body = kwargs.get("json")
            sent_digest_only = isinstance(body, dict) and DIGEST_KEY in body and "domain" not in body
            domain = _by_digest.get(body[DIGEST_KEY]) if sent_digest_only else None
            if exc.status != 449 or domain is None:
                raise
            return await request(self, *args, **{**kwargs, "json": {**body, "domain": domain}})

    return send


def sequential_graph_runner() -> type:
    """``DaskGraphRunner`` with ``run`` doing without dask (a class built on first use: Rasa's
    modules exist only in ``.venv-rasa``)."""
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    class SequentialGraphRunner(DaskGraphRunner):
        """Runs the nodes one after the other in an order computed once per targets."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._plans: dict[tuple[str, ...], _Plan] = {}

        def run(self, inputs: Optional[dict[str, Any]] = None,
                targets: Optional[list[str]] = None) -> dict[str, Any]:
            run_targets = list(targets) if targets else list(self._graph_schema.target_names)
            plan = self._plan(tuple(run_targets))
            results: dict[str, Any] = {}
            inputs_given = set(inputs or ())
            for name, value in (inputs or {}).items():
                if isinstance(value, str) and value in plan.nodes:
                    raise GraphRunError(
                        f"Input value '{value}' clashes with a node name. Make sure that none of "
                        f"the input names passed to the `run` method are the same as node names "
                        f"in the graph schema.")
                results[name] = (name, value)
            try:
                for name, needs in plan.steps:
                    if name in inputs_given:      # an input stands for the node of that name
                        continue
                    # a need nobody provides is passed as its name, as dask does (the node warns)
                    results[name] = self._instantiated_nodes[name](
                        *(results.get(need, need) for need in needs))
            except RuntimeError as exc:
                raise GraphRunError("Error running runner.") from exc
            return dict(results[target] for target in run_targets)

        def _plan(self, targets: tuple[str, ...]) -> "_Plan":
            if targets not in self._plans:
                self._plans[targets] = _Plan.of(self._graph_schema.minimal_graph_schema(list(targets)))
            return self._plans[targets]

    return SequentialGraphRunner


class _Plan:
    """The nodes of a (minimal) graph schema in an order where each comes after what it needs."""

    def __init__(self, steps: list[tuple[str, tuple[str, ...]]]) -> None:
        self.steps = steps
        self.nodes = {name for name, _ in steps}

    @classmethod
    def of(cls, schema: Any) -> "_Plan":
        needs = {name: tuple(node.needs.values()) for name, node in schema.nodes.items()}
        ordered: list[tuple[str, tuple[str, ...]]] = []
        state: dict[str, str] = {}

        def visit(name: str) -> None:
            if state.get(name) == "done":
                return
            if state.get(name) == "visiting":
                raise ValueError(f"the model graph has a cycle through '{name}'")
            state[name] = "visiting"
            for need in needs[name]:
                if need in needs:
                    visit(need)
            state[name] = "done"
            ordered.append((name, needs[name]))

        for name in needs:
            visit(name)
        return cls(ordered)
