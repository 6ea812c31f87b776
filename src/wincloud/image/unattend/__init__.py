"""Windows answer files (unattend.xml): rendered from a spec, linted, checked against our own
envelope schema (``unattend.xsd``)."""

from wincloud.image.unattend.render import STAGES, Stage, render_unattend

__all__ = ["STAGES", "Stage", "envelope_schema", "render_unattend"]


def envelope_schema() -> str:
    """Path of our XSD for the answer-file envelope (unattend/settings/component)."""
    from importlib.resources import files

    return str(files("wincloud.image.unattend") / "unattend.xsd")
