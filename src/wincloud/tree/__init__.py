"""Renderer: instance model -> Nova-compatible trees (OpenStack + EC2, every version)."""

from __future__ import annotations

from wincloud.tree.render import render_drive, render_http, render_tree
from wincloud.tree.versions import EC2_VERSIONS, LATEST, OPENSTACK_VERSIONS

__all__ = [
    "EC2_VERSIONS",
    "LATEST",
    "OPENSTACK_VERSIONS",
    "render_drive",
    "render_http",
    "render_tree",
]
