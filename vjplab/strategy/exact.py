"""``exact``: the family's hand-written adjoint ``J_f(x)^T c`` (derived on paper, no autodiff).

It is the floor: a VJP strategy cannot do less work than the closed-form adjoint. A family
without one (another package's, or a user function of ``vjplab measure --function``) skips it
with the reason; the other strategies are then compared with each other.
"""

from __future__ import annotations

from vjplab.strategy.base import Strategy, register_strategy


def _exact_memory(problem) -> int:
    return 4 * (problem.in_size + problem.out_size) * problem.dtype.itemsize


def _without_adjoint(problem) -> str | None:
    if problem.exact_vjp is None:
        return (f"{problem.family} has no hand-written adjoint (exact_vjp), so there is no "
                f"'exact' floor: the other strategies are compared with each other")
    return None


register_strategy(Strategy(
    name="exact",
    summary="hand-written adjoint of the family (the floor)",
    make_vjp=lambda problem: problem.exact_vjp,
    memory_bytes=_exact_memory,
    unavailable=_without_adjoint,
))
