"""Kernels computed on the host with numpy, for ops whose work is index
bookkeeping (sorting, scatter, unique) rather than arithmetic. Each runs
behind ``registry.apply`` like any other kernel, so tapes see it."""

import numpy as np

from tensorlet import _core
from tensorlet.framework.errors import InvalidArgumentError, OpError

_Array = _core.Array


def kernel(fn):
    """Wraps ``fn(*ndarrays, *attrs) -> ndarray`` as a kernel over ``_core.Array``s."""
    name = fn.__name__.removeprefix("_np_")

    def run(*args):
        arrays = [np.asarray(a) if isinstance(a, _Array) else a for a in args]
        try:
            out = fn(*arrays)
        except (ValueError, IndexError) as e:  # a TypeError is the hot path's (a symbolic input)
            if isinstance(e, OpError) or str(e).startswith(name + ":"):
                raise
            # numpy's own wording names none of the user's arguments: say what the op got.
            got = ", ".join(f"array(shape={a.shape}, dtype={a.dtype})" if isinstance(a, np.ndarray) else
                            repr(a)[:40] for a in arrays)
            raise InvalidArgumentError(f"{name}: these arguments do not fit the op: {got}") from e
        return _core.from_numpy(np.require(out, requirements="C"))
    run.__name__ = fn.__name__
    return run


def tensor(array):
    """A Tensor holding a copy of the ndarray ``array``."""
    from tensorlet.framework.tensor import Tensor

    return Tensor._from_array(_core.from_numpy(np.require(array, requirements="C")))
