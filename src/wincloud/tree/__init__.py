"""Renderer: instance model -> Nova-compatible trees (OpenStack + EC2, every version)."""

from __future__ import annotations

from wincloud.tree.render import (
    http_part,
    render_drive,
    render_http,
    render_http_part,
    render_tree,
)
from wincloud.tree.versions import EC2_VERSIONS, LATEST, OPENSTACK_VERSIONS

__all__ = [
    "EC2_VERSIONS",
    "LATEST",
    "OPENSTACK_VERSIONS",
    "http_part",
    "render_drive",
    "render_http",
    "render_http_part",
    "render_tree",
]
