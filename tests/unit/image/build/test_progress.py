from __future__ import annotations

import io

from wincloud.image.build.progress import LineProgress, NullProgress, clock_text, progress_for


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_not_a_terminal_gets_no_progress():
    assert isinstance(progress_for(io.StringIO()), NullProgress)


def test_terminal_gets_stage_lines():
    stream = Tty()
    progress = progress_for(stream)
    progress.tick(stage="boot", elapsed=1.0, in_stage=1.0, limit=600)
    progress.stage("windowspe", elapsed=65.0, limit=3600)
    progress.finish("the guest powered off after sysprep", elapsed=3725.0)
    lines = stream.getvalue().split("\n")
    assert "[0:01:05] stage windowspe (limit 1:00:00)" in lines[0]
    assert lines[1].endswith("[1:02:05] the guest powered off after sysprep")


def test_status_line_at_most_once_a_second():
    stream = io.StringIO()
    progress = LineProgress(stream)
    for tenth in range(10):
        progress.tick(stage="boot", elapsed=5 + tenth / 10, in_stage=1, limit=10)
    assert stream.getvalue().count("boot:") == 1


def test_clock_text():
    assert clock_text(3661.9) == "1:01:01"
    assert clock_text(-3) == "0:00:00"
