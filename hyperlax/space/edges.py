"""Where a best value sits in its range. One within 5% of the range's width of a bound, measured on the
distribution's own scale (log for LogUniform and IntLog), says the best may lie beyond that bound: the range
is worth widening there. Categorical values and one-point ranges have no edge to widen."""

import math

from hyperlax.space.distributions import IntLog, LogUniform, Uniform, UniformInt, is_number

EDGE_FRACTION = 0.05
RANGED = (Uniform, LogUniform, UniformInt)  # IntLog is a UniformInt
LOG_SCALED = (LogUniform, IntLog)


def range_edge(dist, value) -> str | None:
    """'low' or 'high' when `value` lies within EDGE_FRACTION of the range's width of that bound (or beyond
    it); None in the middle, for a categorical, a non-number and a range of one point."""
    if not isinstance(dist, RANGED) or not is_number(value):
        return None
    low, high = dist.domain
    log = isinstance(dist, LOG_SCALED)
    if high <= low or (log and (low <= 0 or value <= 0)):
        return None
    scale = math.log if log else float
    position = (scale(value) - scale(low)) / (scale(high) - scale(low))
    return "low" if position <= EDGE_FRACTION else "high" if position >= 1 - EDGE_FRACTION else None


def range_edges(values: dict, distributions: dict) -> list:
    """The values at an edge of their distribution's range, by key: records {key, value, edge (low|high),
    distribution (its class name), domain [low, high]}. Keys without a distribution (fixed) are skipped."""
    records = []
    for key, value in sorted(values.items()):
        dist = distributions.get(key)
        edge = range_edge(dist, value)
        if edge is not None:
            record = {"key": key, "value": value, "edge": edge, "distribution": type(dist).__name__}
            records.append({**record, "domain": list(dist.domain)})
    return records


def edge_warning(record: dict, whose: str = "best", where: str = "with --search-space") -> str:
    """One line for a `range_edges` record: which value, which edge of which range, and which way to widen it."""
    low, high = record["domain"]
    value = record["value"]
    shown = f"{value:.5g}" if isinstance(value, float) else str(value)
    scale = "log range" if record["distribution"] in {d.__name__ for d in LOG_SCALED} else "range"
    side, bound = ("below", low) if record["edge"] == "low" else ("above", high)
    return (
        f"warning: {whose} {record['key']} = {shown} sits at the {record['edge']} edge of "
        f"{record['distribution']}({low:g}, {high:g}) (within {EDGE_FRACTION:.0%} of its {scale}); "
        f"widen the range {side} {bound:g} {where} and run again"
    )
