"""Durations as a DDSketch kept in counters: any quantile to within 1% of its true value.

A duration of `s` seconds falls in bucket `ceil(log_gamma(s))` with gamma = (1 + a) / (1 - a); the
bucket's representative value `2 gamma^i / (gamma + 1)` is within a relative `a` (1%) of every
value in it (Masson, Rim and Lee, "DDSketch", VLDB 2019). Each bucket is one counter
(`sketch#<name>#<i>`), so a sketch merges by adding counters, as every other statistic does, and
the number of counters is bounded by the spread of the durations, not by their count: from a
millisecond to a year is about 1,200 buckets. Durations under a millisecond count as zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

RELATIVE_ACCURACY = 0.01
GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
_LOG_GAMMA = math.log(GAMMA)
MIN_SECONDS = 0.001
ZERO = "z"
PREFIX = "sketch#"


def bucket(seconds: float) -> str:
    """The bucket a duration falls in: an integer index, or `z` for (nearly) nothing."""
    if not seconds > MIN_SECONDS:  # also NaN
        return ZERO
    return str(math.ceil(math.log(seconds) / _LOG_GAMMA))


def key(name: str, seconds: float) -> str:
    """The counter one duration of the named measure adds to."""
    return f"{PREFIX}{name}#{bucket(seconds)}"


def value(bucket_name: str) -> float:
    """The representative duration of a bucket (seconds)."""
    if bucket_name == ZERO:
        return 0.0
    return 2 * GAMMA ** int(bucket_name) / (GAMMA + 1)


def buckets(counters: Mapping[str, int], name: str) -> dict[str, int]:
    """The named sketch's buckets out of a mapping of counters."""
    prefix = f"{PREFIX}{name}#"
    return {k[len(prefix) :]: v for k, v in counters.items() if k.startswith(prefix) and v > 0}


def quantile(sketch: Mapping[str, int], fraction: float) -> float | None:
    """The duration at `fraction` (0..1) of the samples, within 1%; None for an empty sketch.

    The rank is the nearest-rank one: the smallest sample with at least `fraction` of all samples
    at or below it.
    """
    total = sum(sketch.values())
    if total <= 0:
        return None
    rank = max(1, math.ceil(fraction * total))
    seen = 0
    for name in sorted(sketch, key=lambda b: -math.inf if b == ZERO else int(b)):
        seen += sketch[name]
        if seen >= rank:
            return value(name)
    return value(max(sketch, key=lambda b: -math.inf if b == ZERO else int(b)))
