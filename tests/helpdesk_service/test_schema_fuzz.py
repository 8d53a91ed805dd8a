"""Schemathesis against the service's own OpenAPI schema: generated requests for every operation
(valid and invalid bodies and parameters, with the token) never get a 5xx. Bounded (a few examples
per operation), so it stays part of `make test`."""

from __future__ import annotations

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings as hypothesis_settings

from helpdesk_service.app import create_app
from kb_index.importer import load_articles
from kb_index.index import build_index
from tests.conftest import write_article

EXAMPLES_PER_OPERATION = 15


def test_generated_requests_never_get_a_server_error(settings, tmp_path, fake_embedder, monkeypatch):
    kb = tmp_path / "kb"
    kb.mkdir()
    write_article(kb, "printer", "en", "Printer stuck", tags="[printer]")
    build_index(load_articles(kb), fake_embedder, settings.path(settings.kb.index_dir))
    settings.kb.encoder = fake_embedder.name
    settings.limits.tickets_per_hour = settings.limits.tickets_per_hour_per_ip = 100_000
    monkeypatch.setattr("kb_index.live.get_embedder", lambda name: fake_embedder)
    app = create_app(settings)
    token = settings.api_token()
    failures, operations = [], 0
    with TestClient(app):                                    # the lifespan runs, as in the real service
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        for result in schema.get_all_operations():
            operation = result.ok()
            operations += 1

            @given(case=operation.as_strategy())
            @hypothesis_settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                                 suppress_health_check=list(HealthCheck))
            def check(case):
                case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
                response = case.call()
                if response.status_code >= 500:
                    failures.append(f"{case.method} {case.formatted_path} {case.query} {case.body!r:.200}: "
                                    f"{response.status_code} {response.text[:200]}")

            check()
    assert operations > 20
    assert not failures, "\n".join(failures[:10])
