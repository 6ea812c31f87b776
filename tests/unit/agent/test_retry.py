import pytest

from wincloud.agent.retry import Backoff, retry
from wincloud.errors import InvalidMetadata, SourceUnavailable


def flaky(failures, error=SourceUnavailable):
    calls = []

    def action():
        calls.append(1)
        if len(calls) <= failures:
            raise error("down")
        return "ok"

    return action, calls


def test_delays_double_and_are_capped():
    assert Backoff(attempts=5, delay=1, max_delay=3).delays() == [1, 2, 3, 3]
    assert Backoff(attempts=1).delays() == []


def test_unavailable_is_retried_until_it_answers():
    slept = []
    action, calls = flaky(2)
    assert retry(action, Backoff(3, 0.5, 10), sleep=slept.append, what="t") == "ok"
    assert (len(calls), slept) == (3, [0.5, 1.0])


def test_attempts_are_bounded():
    slept = []
    action, calls = flaky(10)
    with pytest.raises(SourceUnavailable):
        retry(action, Backoff(3, 1, 10), sleep=slept.append, what="t")
    assert (len(calls), slept) == (3, [1, 2])


def test_invalid_metadata_is_not_retried():
    action, calls = flaky(1, InvalidMetadata)
    with pytest.raises(InvalidMetadata):
        retry(action, Backoff(3, 1, 10), sleep=lambda s: None, what="t")
    assert len(calls) == 1
