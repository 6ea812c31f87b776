"""Windows decisions on the stateful fake bindings: ``win`` is the fake machine, ``platform``
the real decisions wired to it (drive letters under tmp_path)."""

import pytest

from wincloud.platform.windows._win32.fake import FakeWindows


@pytest.fixture
def win():
    return FakeWindows(gvlks={"WX4NM-KYWYW-QJJR4-XV3QB-6VM33"})


@pytest.fixture
def platform(win, tmp_path):
    return win.platform(tmp_path / "drives")
