"""FakeVolumes: labelled volumes given by the test (label -> image file or directory)."""

from __future__ import annotations

from pathlib import Path


class FakeVolumes:
    def __init__(self, labelled: dict[str, Path] | None = None) -> None:
        self.labelled = dict(labelled or {})

    def find_labelled(self, label: str) -> Path | None:
        if label in self.labelled:
            return self.labelled[label]
        folded = {name.casefold(): path for name, path in self.labelled.items()}
        return folded.get(label.casefold())

    def labels(self) -> dict[str, Path]:
        return dict(self.labelled)
