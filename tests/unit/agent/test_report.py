"""The agent side of the activation report: HttpReportSink against an httpx MockTransport and
a tiny Starlette app that implements the server contract of docs/plugins.md."""

import asyncio
import json

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wincloud.agent.config import AgentConfig
from wincloud.agent.http import create_client
from wincloud.agent.metadata import InstanceMetadata
from wincloud.agent.plugins import Outcome, RunContext, Stage
from wincloud.agent.plugins.licensing import LicensingPlugin
from wincloud.agent.report import HttpReportSink, report_base
from wincloud.errors import SourceError, SourceUnavailable
from wincloud.platform.fake import fake_platform

BASE = report_base("http://169.254.169.254/")


def sink_answering(status, seen=None):
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(status)

    return HttpReportSink(create_client(transport=httpx.MockTransport(handler)), BASE, timeout=2)


def test_the_report_is_a_json_post_under_the_wincloud_path():
    seen = []
    assert sink_answering(204, seen).post("activation", {"b": 1, "a": "x"}) is True
    [request] = seen
    assert (request.method, str(request.url)) == (
        "POST",
        "http://169.254.169.254/openstack/latest/wincloud/activation",
    )
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"a": "x", "b": 1}


@pytest.mark.parametrize("status", [404, 405, 501])
def test_a_service_without_the_endpoint_answers_false(status):
    assert sink_answering(status).post("activation", {}) is False


def test_a_server_error_is_unavailable_and_a_refusal_is_an_error():
    with pytest.raises(SourceUnavailable):
        sink_answering(503).post("activation", {})
    with pytest.raises(SourceError, match="HTTP 400"):
        sink_answering(400).post("activation", {})


def test_an_oversized_report_is_not_sent():
    seen = []
    with pytest.raises(SourceError, match="larger than"):
        sink_answering(204, seen).post("activation", {"x": "y" * 5000})
    assert seen == []


def test_report_names_are_checked():
    with pytest.raises(ValueError):
        sink_answering(204).post("../password", {})


def contract_app(store):
    """The server contract, as the lead will add it to the metadata service."""

    async def activation(request: Request) -> Response:
        if request.headers.get("content-type", "").split(";")[0] != "application/json":
            return JSONResponse({"error": "json only"}, status_code=415)
        body = await request.body()
        if len(body) > 4096:
            return JSONResponse({"error": "too large"}, status_code=413)
        try:
            doc = json.loads(body)
        except ValueError:
            return JSONResponse({"error": "not json"}, status_code=400)
        if doc.get("version") != 1 or not isinstance(doc.get("license_status"), str):
            return JSONResponse({"error": "bad document"}, status_code=400)
        store.append(doc)
        return Response(status_code=204)

    return Starlette(
        routes=[Route("/openstack/latest/wincloud/activation", activation, methods=["POST"])]
    )


class AsgiBridge(httpx.BaseTransport):
    """A sync httpx transport into an ASGI app (the agent's client is sync)."""

    def __init__(self, app):
        self.inner = httpx.ASGITransport(app=app)

    def handle_request(self, request):
        async def exchange():
            response = await self.inner.handle_async_request(request)
            body = b"".join([chunk async for chunk in response.stream])
            return httpx.Response(response.status_code, headers=response.headers, content=body)

        return asyncio.run(exchange())


def test_licensing_reports_to_a_service_implementing_the_contract():
    store = []
    client = create_client(transport=AsgiBridge(contract_app(store)))
    platform = fake_platform(family="windows")
    ctx = RunContext(
        platform=platform,
        config=AgentConfig(),
        stage=Stage.MAIN,
        found=InstanceMetadata(instance_id="8e5f", source="openstack_http", where="http://x"),
        report_sink=HttpReportSink(client, report_base("http://testserver"), timeout=5),
    )
    assert LicensingPlugin().run(ctx) is Outcome.DONE
    [doc] = store
    assert (doc["instance_id"], doc["activation"], doc["license_status"]) == (
        "8e5f",
        "activated",
        "licensed",
    )
