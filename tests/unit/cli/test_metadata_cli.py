"""`wincloud metadata demo|serve`: operator mistakes are one error line naming the option,
found before anything is created."""

from __future__ import annotations

import pytest

from wincloud.cli import main


def run(capsys, *args: str) -> tuple[int, str]:
    try:
        main(["metadata", *args])
        status = 0
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else 1
    return status, capsys.readouterr().err


@pytest.mark.parametrize("listen", ["foo", "127.0.0.1:http", "127.0.0.1:70000"])
def test_demo_with_a_bad_listen_address_names_it_and_creates_nothing(capsys, tmp_path, listen):
    data = tmp_path / "demo"
    status, err = run(capsys, "demo", "--listen", listen, "--data-dir", str(data))
    assert status == 2, err
    assert err.startswith(f"error[config-error]: not a listen address: {listen!r}: --listen")
    assert "Traceback" not in err
    assert not data.exists()
