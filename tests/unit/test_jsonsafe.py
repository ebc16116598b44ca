"""Reading JSON from callers: bounded depth and numbers, no duplicate keys, linear time."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flagpost.domain import jsonsafe

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30,
)


@given(json_values)
def test_ordinary_documents_read_as_json_reads_them(value: object) -> None:
    text = json.dumps(value)
    assert jsonsafe.loads(text) == json.loads(text)


@given(st.text(alphabet='[]{}"\\ ,:a1', max_size=300))
def test_anything_is_read_as_json_reads_it_or_refused_as_a_decode_error(text: str) -> None:
    try:
        got = jsonsafe.loads(text)
    except json.JSONDecodeError:
        return  # the only way it may refuse
    assert got == json.loads(text)


@pytest.mark.parametrize(
    "document",
    [
        "[" * 33 + "]" * 33,
        '{"a":' * 40 + "1" + "}" * 40,
        "1" * 65,
        "1e999",
        "NaN",
        "[-Infinity]",
        '{"a": 1, "a": 2}',
        '[{"x": {"y": 1, "y": 1}}]',
    ],
)
def test_refused_as_a_decode_error(document: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        jsonsafe.loads(document)


def test_strings_full_of_brackets_do_not_count_as_depth() -> None:
    assert jsonsafe.loads(json.dumps({"q": "[" * 500})) == {"q": "[" * 500}


def test_pathological_escapes_are_scanned_in_linear_time() -> None:
    """33 brackets, then an unterminated string of escaped quotes: the old scan restarted at every quote
    (256 KiB took about 11 minutes). A generous bound that only a quadratic scan can exceed."""
    body = "[" * 33 + '"' + '\\"' * (128 * 1024)
    started = time.process_time()
    with pytest.raises(json.JSONDecodeError):
        jsonsafe.loads(body)
    assert time.process_time() - started < 5
