"""Kernels computed on the host with numpy, for ops whose work is index
bookkeeping (sorting, scatter, unique) rather than arithmetic. Each runs
behind ``registry.apply`` like any other kernel, so tapes see it."""

import numpy as np

from tensorlet import _core

_Array = _core.Array


def kernel(fn):
    """Wraps ``fn(*ndarrays, *attrs) -> ndarray`` as a kernel over ``_core.Array``s."""
    def run(*args):
        out = fn(*[np.asarray(a) if isinstance(a, _Array) else a for a in args])
        return _core.from_numpy(np.require(out, requirements="C"))
    run.__name__ = fn.__name__
    return run


def tensor(array):
    """A Tensor holding a copy of the ndarray ``array``."""
    from tensorlet.framework.tensor import Tensor

    return Tensor._from_array(_core.from_numpy(np.require(array, requirements="C")))
