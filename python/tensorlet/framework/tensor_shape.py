"""TensorShape: a tuple of dimensions (``None`` for unknown) that prints like one."""


class TensorShape(tuple):
    """The shape of a tensor: a tuple of ints, or ``None`` for unknown dims.

    ``str(shape)`` is ``(2, 1)`` and ``shape == (2, 1)`` holds, as in TensorFlow.
    """

    __slots__ = ()

    def __new__(cls, dims=()):
        if dims is None:
            raise ValueError("tensorlet does not support shapes of unknown rank")
        if isinstance(dims, int):
            dims = (dims,)
        return tuple.__new__(cls, tuple(None if d is None else int(d) for d in dims))

    @property
    def rank(self):
        return len(self)

    @property
    def ndims(self):
        return len(self)

    def as_list(self):
        return list(self)

    def num_elements(self):
        n = 1
        for d in self:
            if d is None:
                return None
            n *= d
        return n

    def is_fully_defined(self):
        return None not in self

    def is_compatible_with(self, other):
        other = TensorShape(other)
        return len(self) == len(other) and all(a is None or b is None or a == b for a, b in zip(self, other))

    def __getitem__(self, key):
        item = tuple.__getitem__(self, key)
        return TensorShape(item) if isinstance(key, slice) else item

    def __add__(self, other):
        return TensorShape(tuple(self) + tuple(other))

    def __radd__(self, other):
        return TensorShape(tuple(other) + tuple(self))

    def concatenate(self, other):
        return self + other

    def __str__(self):
        if len(self) == 1:
            return f"({self[0]},)"
        return "(" + ", ".join(str(d) for d in self) + ")"

    def __repr__(self):
        return f"TensorShape({list(self)})"
