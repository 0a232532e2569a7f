"""The array ops, by family (as in the C++ kernels): views and shapes
(``view_ops``), creation (``creation_ops``), joining and splitting
(``join_ops``), selection (``gather_ops``) and clipping (``clip_ops``).

This module re-exports every name of those five (private helpers included),
so ``tensorlet.ops.array_ops.reshape`` and older imports keep working."""

from tensorlet.ops import clip_ops, creation_ops, gather_ops, join_ops, view_ops

for _module in (view_ops, creation_ops, join_ops, gather_ops, clip_ops):
    globals().update({k: v for k, v in vars(_module).items() if not k.startswith("__")})
del _module
