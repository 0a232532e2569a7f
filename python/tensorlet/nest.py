"""``tensorlet.nest``: nested structures of lists, tuples, namedtuples and dicts
(as ``tf.nest``). Dicts are flattened in sorted key order, as TensorFlow does,
so two dicts with the same keys flatten alike whatever their insertion order."""

__all__ = ["assert_same_structure", "flatten", "is_nested", "map_structure", "pack_sequence_as"]


def is_nested(structure):
    """Whether ``structure`` is a list, tuple or dict (not a leaf)."""
    return isinstance(structure, (list, tuple, dict))


def _children(s):
    if isinstance(s, dict):
        return [s[k] for k in _sorted_keys(s)]
    return list(s)


def _sorted_keys(d):
    try:
        return sorted(d)
    except TypeError:
        raise TypeError(f"nest: dict keys must be sortable, got {list(d)}") from None


def flatten(structure, expand_composites=False):
    """The leaves of ``structure``, depth first (dicts by sorted key); a leaf gives ``[leaf]``."""
    if not is_nested(structure):
        return [structure]
    return [leaf for child in _children(structure) for leaf in flatten(child)]


def _rebuild(like, children):
    if isinstance(like, dict):
        values = dict(zip(_sorted_keys(like), children))
        return type(like)((k, values[k]) for k in like) if type(like) is not dict else \
            {k: values[k] for k in like}
    if isinstance(like, tuple) and hasattr(like, "_fields"):  # a namedtuple
        return type(like)(*children)
    return type(like)(children)


def pack_sequence_as(structure, flat_sequence, expand_composites=False):
    """The leaves of ``flat_sequence`` arranged in the nesting of ``structure``.

    Raises:
        ValueError: if the number of leaves differs.
    """
    flat = list(flat_sequence)
    if not is_nested(structure):
        if len(flat) != 1:
            raise ValueError(f"pack_sequence_as: the structure is a single leaf, but got {len(flat)} values")
        return flat[0]
    n = len(flatten(structure))
    if n != len(flat):
        raise ValueError(f"pack_sequence_as: the structure has {n} leaves, but flat_sequence has {len(flat)} "
                         f"values. Structure: {structure!r}")
    it = iter(flat)

    def build(s):
        if not is_nested(s):
            return next(it)
        return _rebuild(s, [build(c) for c in _children(s)])

    return build(structure)


def _kind(s):
    if isinstance(s, dict):
        return dict
    if isinstance(s, tuple) and hasattr(s, "_fields"):
        return type(s)
    return list if isinstance(s, list) else tuple


def assert_same_structure(nest1, nest2, check_types=True, expand_composites=False):
    """Checks that two structures nest alike.

    Raises:
        ValueError: if they differ in nesting, length or dict keys.
        TypeError: if ``check_types`` and a sequence type differs (list vs tuple).
    """
    def walk(a, b, path):
        if is_nested(a) != is_nested(b):
            raise ValueError(f"The two structures don't have the same nested structure: at {path or 'the top'}, "
                             f"{a!r} vs {b!r}")
        if not is_nested(a):
            return
        if check_types and _kind(a) is not _kind(b):
            raise TypeError(f"The two structures don't have the same sequence type: at {path or 'the top'}, "
                            f"{type(a).__name__} vs {type(b).__name__}")
        if isinstance(a, dict) and isinstance(b, dict) and set(a) != set(b):
            raise ValueError(f"The two structures don't have the same keys at {path or 'the top'}: "
                             f"{sorted(map(str, a))} vs {sorted(map(str, b))}")
        ca, cb = _children(a), _children(b)
        if len(ca) != len(cb):
            raise ValueError(f"The two structures don't have the same number of elements at "
                             f"{path or 'the top'}: {len(ca)} vs {len(cb)}")
        for i, (x, y) in enumerate(zip(ca, cb)):
            walk(x, y, f"{path}[{i}]")

    walk(nest1, nest2, "")


def map_structure(func, *structure, **kwargs):
    """``func`` applied to corresponding leaves of one or more structures of the
    same nesting, arranged like the first.

    Args:
        func: called with one leaf from each structure.
        *structure: the structures.
        check_types: (keyword) whether list vs tuple mismatches raise (default True).

    Raises:
        ValueError / TypeError: as :func:`assert_same_structure`.
    """
    check_types = kwargs.pop("check_types", True)
    kwargs.pop("expand_composites", None)
    if kwargs:
        raise TypeError(f"map_structure: unexpected keyword arguments {sorted(kwargs)}")
    if not structure:
        raise ValueError("map_structure: needs at least one structure")
    for other in structure[1:]:
        assert_same_structure(structure[0], other, check_types=check_types)
    flats = [flatten(s) for s in structure]
    return pack_sequence_as(structure[0], [func(*leaves) for leaves in zip(*flats)])
