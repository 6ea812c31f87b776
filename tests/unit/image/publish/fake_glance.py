"""A small stateful Glance v2 at the REST level, behind the adapter interface GlanceImages uses
(``request(url, method, **kwargs)``). It keeps images, their data and their status the way
Glance 33 moves them (queued -> uploading -> importing -> active; PUT queued -> active); the
real one is tested in tests/openstack/glance."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FakeResponse:
    status_code: int
    body: Any = None

    @property
    def text(self) -> str:
        return self.body if isinstance(self.body, str) else json.dumps(self.body)

    def json(self) -> Any:
        return self.body


@dataclass
class FakeGlance:
    import_methods: list[str] | None = field(default_factory=lambda: ["glance-direct"])
    import_outcome: str = "active"  # active | fail | never
    corrupt: bool = False  # store other bytes than were sent
    project: str = "p1"  # the caller's project: owner of what it creates
    images: dict[str, dict[str, Any]] = field(default_factory=dict)
    data: dict[str, bytes] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def request(self, url: str, method: str, **kwargs: Any) -> FakeResponse:
        self.calls.append(f"{method} {url}")
        parts = url.strip("/").split("/")
        if parts == ["info", "import"]:
            if self.import_methods is None:
                return FakeResponse(404, "<html>404 Not Found</html>")
            return FakeResponse(200, {"import-methods": {"value": self.import_methods}})
        if parts == ["images"] and method == "GET":
            params = dict(kwargs.get("params", {}))
            params.pop("limit", None)
            found = [
                i for i in self.images.values() if all(i.get(k) == v for k, v in params.items())
            ]
            return FakeResponse(200, {"images": found})
        if parts == ["images"] and method == "POST":
            body = dict(kwargs["json"])
            if body.get("visibility") == "public":
                return FakeResponse(
                    403, "<html><h1>403 Forbidden</h1> You are not authorized to complete "
                    "publicize_image action.</html>"
                )  # fmt: skip
            image = {**body, "id": str(uuid.uuid4()), "status": "queued", "size": None}
            image["owner"] = self.project
            self.images[image["id"]] = image
            return FakeResponse(201, image)
        image = self.images.get(parts[1]) if len(parts) > 1 else None
        if image is None:
            return FakeResponse(404, "<html>404 Not Found</html>")
        return self._on_image(image, parts[2:], method, kwargs)

    def _on_image(self, image: dict[str, Any], rest: list[str], method: str, kwargs: Any):
        if not rest and method == "GET":
            if image["status"] == "importing" and self.import_outcome == "active":
                self._store(image)
            elif image["status"] == "importing" and self.import_outcome == "fail":
                image["os_glance_failed_import"] = "fs"
                image["os_glance_importing_to_stores"] = ""
            return FakeResponse(200, dict(image))
        if rest in (["stage"], ["file"]) and method == "PUT":
            if image["status"] != "queued":
                return FakeResponse(409, "<html>409 Conflict</html>")
            reader = kwargs["data"]
            chunks = []
            while chunk := reader.read(65536):
                chunks.append(chunk)
            self.data[image["id"]] = b"".join(chunks)
            image["size"] = len(self.data[image["id"]])
            if rest == ["stage"]:
                image["status"] = "uploading"
            else:
                self._store(image)
            return FakeResponse(204)
        if rest == ["import"] and method == "POST":
            if image["status"] != "uploading":
                return FakeResponse(409, "<html>409 Conflict</html>")
            image["status"] = "importing"
            return FakeResponse(202)
        if rest == ["tasks"]:
            failed = image.get("os_glance_failed_import")
            tasks = [{"status": "failure", "message": "Image disk_format qcow2 does not match"}]
            return FakeResponse(200, {"tasks": tasks if failed else []})
        return FakeResponse(405, "<html>405</html>")

    def _store(self, image: dict[str, Any]) -> None:
        data = self.data[image["id"]]
        if self.corrupt:
            data = data[:-1] + b"?"
        image.update(
            status="active",
            os_hash_algo="sha512",
            os_hash_value=hashlib.sha512(data).hexdigest(),
            size=len(data),
        )
