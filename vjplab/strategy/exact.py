"""``exact``: the family's hand-written adjoint ``J_f(x)^T c`` (derived on paper, no autodiff).

It is the floor: a VJP strategy cannot do less work than the closed-form adjoint.
"""

from __future__ import annotations

from vjplab.strategy.base import Strategy, register_strategy


def _exact_memory(problem) -> int:
    return 4 * (problem.in_size + problem.out_size) * problem.dtype.itemsize


register_strategy(Strategy(
    name="exact",
    summary="hand-written adjoint of the family (the floor)",
    make_vjp=lambda problem: problem.exact_vjp,
    memory_bytes=_exact_memory,
))
