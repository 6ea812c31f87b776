"""Glance's image API v2 as publish needs it: create, stage + import (or PUT), resume, verify.

``GlanceImages`` speaks plain REST through an adapter that resolves paths against the image
endpoint: openstacksdk's ``conn.image`` (a keystoneauth ``Adapter``, so clouds.yaml, tokens and
the catalog stay openstacksdk's business). Glance has no byte-range upload: an interrupted
upload is resumed by finding the image record it left (same name, same upload hash property)
and sending the data again into that record instead of creating a duplicate; an image whose
data was completely staged is imported without sending it again.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final, Protocol

from wincloud.errors import ImageError

log = logging.getLogger(__name__)

UPLOAD_HASH: Final = "wincloud_upload_sha512"  # the resume key, a property of the record
CHUNK: Final = 1 << 20
Progress = Callable[[int], None]  # bytes sent (or hashed) so far


class Response(Protocol):
    status_code: int

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


class Adapter(Protocol):
    """What ``openstack.connection.Connection.image`` offers (keystoneauth1 Adapter)."""

    def request(self, url: str, method: str, **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class Published:
    image_id: str
    status: str
    resumed: bool
    method: str  # glance-direct | put | none (already active)
    size: int
    hash_algo: str
    hash_value: str
    seconds: float


def file_hash(path: Path, algo: str = "sha512", progress: Progress | None = None) -> str:
    digest = hashlib.new(algo)
    done = 0
    with path.open("rb") as src:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done)
    return digest.hexdigest()


class _Reader:
    """A file that reports progress as it is read; ``len()`` makes requests send Content-Length."""

    def __init__(self, src: IO[bytes], size: int, progress: Progress | None) -> None:
        self._src, self._size, self._progress, self._done = src, size, progress, 0

    def __len__(self) -> int:
        return self._size

    def read(self, n: int = -1) -> bytes:
        data = self._src.read(CHUNK if n is None or n < 0 else n)
        self._done += len(data)
        if self._progress is not None:
            self._progress(self._done)
        return data


def _glance_message(resp: Response) -> str:
    """The sentence Glance puts in its HTML/JSON error body, on one line."""
    text = re.sub(r"<[^>]+>", " ", resp.text or "")
    text = " ".join(html.unescape(text).split())
    text = re.sub(r"^\d{3} [A-Za-z ]+? \d{3} [A-Za-z ]+? ", "", text)
    return text[:300] or f"HTTP {resp.status_code}"


class GlanceImages:
    def __init__(
        self,
        adapter: Adapter,
        *,
        where: str = "glance",
        project_id: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.adapter, self.where, self.sleep, self.clock = adapter, where, sleep, clock
        self.project_id = project_id  # when known, find() keeps to the caller's own images

    def _call(self, method: str, path: str, *, ok: tuple[int, ...], **kwargs: Any) -> Response:
        from keystoneauth1 import exceptions as ksa

        try:
            resp: Response = self.adapter.request(path, method, raise_exc=False, **kwargs)
        except ksa.ClientException as exc:  # connection refused, timeout, no endpoint, auth
            raise ImageError(
                f"cannot reach Glance ({type(exc).__name__}: {str(exc)[:200]})",
                subject=self.where,
                hint="check the cloud's image endpoint and credentials (clouds.yaml, --cloud)",
            ) from None
        if resp.status_code not in ok:
            raise self._error(method, path, resp)
        return resp

    def _error(self, method: str, path: str, resp: Response) -> ImageError:
        message = _glance_message(resp)
        hints = {
            401: "the token was refused: check the cloud's credentials",
            403: "Glance's policy forbids it for your roles (public images need the admin role)",
            409: "the image is in a state that does not allow it (see its status)",
            413: "the image is larger than Glance's image_size_cap or your quota",
            415: "the data does not match disk_format: convert it (publish does with qemu-img)",
        }
        return ImageError(
            f"Glance refused {method} {path} (HTTP {resp.status_code}: {message})",
            subject=self.where,
            hint=hints.get(resp.status_code, "see Glance's API log"),
        )

    # --- reads -----------------------------------------------------------------------------

    def import_methods(self) -> list[str]:
        """The interoperable import methods Glance offers (``[]`` before Queens)."""
        resp = self._call("GET", "/info/import", ok=(200, 404))
        if resp.status_code == 404:
            return []
        value = resp.json().get("import-methods", {}).get("value", [])
        return [str(v) for v in value]

    def get(self, image_id: str) -> dict[str, Any]:
        resp = self._call("GET", f"/images/{image_id}", ok=(200,))
        body: dict[str, Any] = resp.json()
        return body

    def find(self, name: str, properties: Mapping[str, str]) -> list[dict[str, Any]]:
        """Images visible to the caller (owned by the caller's project when it is known) with
        this name and these property values."""
        params = {"name": name, **properties, "limit": "100"}
        if self.project_id:
            params["owner"] = self.project_id
        images: list[dict[str, Any]] = self._call(
            "GET", "/images", ok=(200,), params=params
        ).json()["images"]
        return [i for i in images if all(i.get(k) == v for k, v in properties.items())]

    # --- writes ----------------------------------------------------------------------------

    def create(self, body: Mapping[str, Any]) -> dict[str, Any]:
        created: dict[str, Any] = self._call("POST", "/images", ok=(201,), json=dict(body)).json()
        log.info("glance image created id=%s name=%s", created["id"], created["name"])
        return created

    def delete(self, image_id: str) -> None:
        self._call("DELETE", f"/images/{image_id}", ok=(204, 404))

    def send(self, image_id: str, path: Path, *, stage: bool, progress: Progress | None) -> None:
        """PUT the file into ``/stage`` (glance-direct) or ``/file`` (the classic upload)."""
        size = path.stat().st_size
        target = f"/images/{image_id}/{'stage' if stage else 'file'}"
        with path.open("rb") as src:
            self._call(
                "PUT",
                target,
                ok=(204,),
                data=_Reader(src, size, progress),
                headers={"Content-Type": "application/octet-stream"},
            )

    def start_import(self, image_id: str, method: str = "glance-direct") -> None:
        self._call(
            "POST", f"/images/{image_id}/import", ok=(202,), json={"method": {"name": method}}
        )

    def wait_active(self, image_id: str, *, timeout: float) -> dict[str, Any]:
        """Poll until the image is active; a failed import or a timeout raises ImageError."""
        deadline = self.clock() + timeout
        delay = 0.2
        while True:
            image = self.get(image_id)
            status = image.get("status")
            if status == "active":
                return image
            if image.get("os_glance_failed_import") and not image.get(
                "os_glance_importing_to_stores"
            ):
                raise ImageError(
                    f"Glance's import failed ({self.task_message(image_id)})",
                    subject=f"{self.where} image {image_id}",
                    hint="check the data matches disk_format (Glance inspects it); delete the "
                    "image (openstack image delete) and publish again",
                )
            if status in ("killed", "deleted", "pending_delete", "deactivated"):
                raise ImageError(f"the image went {status}", subject=f"{self.where} {image_id}")
            if self.clock() >= deadline:
                raise ImageError(
                    f"the image is still {status} after {timeout:g} s",
                    subject=f"{self.where} image {image_id}",
                    hint="Glance may still be importing: run publish again later to resume",
                )
            self.sleep(delay)
            delay = min(delay * 2, 5.0)

    def task_message(self, image_id: str) -> str:
        resp = self._call("GET", f"/images/{image_id}/tasks", ok=(200, 403, 404))
        if resp.status_code != 200:
            return "no task record"
        tasks = resp.json().get("tasks", [])
        failed = [t.get("message") for t in tasks if t.get("status") == "failure"]
        return str(failed[-1]) if failed and failed[-1] else "no reason given"


def publish_file(
    glance: GlanceImages,
    path: Path,
    body: Mapping[str, Any],
    *,
    upload_hash: str,
    progress: Progress | None = None,
    use_import: bool | None = None,
    timeout: float = 3600.0,
    notify: Callable[[str], None] | None = None,
) -> Published:
    """Create (or find and resume) the image record and get ``path`` into it, then check that
    Glance's ``os_hash_value`` is the file's. ``upload_hash`` is the file's sha512."""
    began = glance.clock()
    size = path.stat().st_size
    name = str(body["name"])
    methods = glance.import_methods()
    direct = "glance-direct" in methods if use_import is None else use_import
    if direct and "glance-direct" not in methods:
        raise ImageError(
            "this Glance does not offer the glance-direct import method",
            subject=glance.where,
            hint=f"it offers {', '.join(methods) or 'none'}; publish without --import",
        )

    image, resumed = _resumable(glance, name, upload_hash, size)
    if image is None:
        image = glance.create({**body, UPLOAD_HASH: upload_hash})
    image_id = str(image["id"])
    status = image["status"]
    method = "none"
    if status == "queued":
        method = "glance-direct" if direct else "put"
        glance.send(image_id, path, stage=direct, progress=progress)
        if direct:
            glance.start_import(image_id)
    elif status == "uploading":  # staged in full earlier; the import never started
        method = "glance-direct"
        glance.start_import(image_id)
    if status != "active":
        if notify is not None:
            notify(f"waiting for Glance to make image {image_id} active")
        image = glance.wait_active(image_id, timeout=timeout)

    algo = str(image.get("os_hash_algo") or "sha512")
    expected = upload_hash if algo == "sha512" else file_hash(path, algo)
    if image.get("os_hash_value") != expected or image.get("size") != size:
        raise ImageError(
            f"Glance holds different data ({algo} {str(image.get('os_hash_value'))[:16]}..., "
            f"{image.get('size')} bytes; the file has {expected[:16]}..., {size} bytes)",
            subject=f"{glance.where} image {image_id}",
            hint="delete the image and publish again; check for a proxy rewriting uploads",
        )
    return Published(
        image_id=image_id,
        status=str(image["status"]),
        resumed=resumed,
        method=method,
        size=size,
        hash_algo=algo,
        hash_value=expected,
        seconds=glance.clock() - began,
    )


def _resumable(
    glance: GlanceImages, name: str, upload_hash: str, size: int
) -> tuple[dict[str, Any] | None, bool]:
    """An earlier record of this very upload to continue, if one exists."""
    for image in glance.find(name, {UPLOAD_HASH: upload_hash}):
        status = image.get("status")
        if status == "active":
            return image, True
        if status == "queued":
            log.info("resuming upload into queued image id=%s", image["id"])
            return image, True
        if status == "uploading" and image.get("size") == size:
            log.info("importing the data staged earlier id=%s", image["id"])
            return image, True
        if status == "importing" and not image.get("os_glance_failed_import"):
            return image, True
    return None, False
