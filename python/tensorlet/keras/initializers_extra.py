"""More initializers: Orthogonal (the recurrent kernels' default), Identity
and the LeCun pair; registered by name with the others."""

import numpy as np

import tensorlet as tf
from tensorlet.keras import backend
from tensorlet.keras import initializers as _init


class Orthogonal(_init._Random):
    """A random orthogonal matrix (rows or columns orthonormal) times ``gain``.

    Shapes with more than two dims are treated as ``(prod(shape[:-1]), shape[-1])``.
    """

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        dtype = dtype or backend.floatx()
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: the shape must have at least two dims, got {tuple(shape)}")
        rows, cols = int(np.prod(shape[:-1])), int(shape[-1])
        # Drawn with tensorlet.random (so set_seed repeats it), factored on the host.
        a = tf.random.normal((max(rows, cols), min(rows, cols)), dtype="float64", seed=self._seed()).numpy()
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))  # make the factorisation unique, so the draw is uniform
        if rows < cols:
            q = q.T
        return tf.constant((self.gain * q).reshape(shape), dtype=dtype)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class Identity(_init.Initializer):
    """``gain`` times the identity matrix (2-D shapes only)."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError(f"Identity: the shape must be 2-D, got {tuple(shape)}")
        return tf.eye(shape[0], shape[1], dtype=dtype or backend.floatx()) * self.gain

    def get_config(self):
        return {"gain": self.gain}


class LecunNormal(_init.VarianceScaling):
    """Truncated normal with stddev sqrt(1 / fan_in)."""

    def __init__(self, seed=None):
        super().__init__(1.0, "fan_in", "truncated_normal", seed)

    def get_config(self):
        return {"seed": self.seed}


class LecunUniform(_init.VarianceScaling):
    """Uniform on ±sqrt(3 / fan_in)."""

    def __init__(self, seed=None):
        super().__init__(1.0, "fan_in", "uniform", seed)

    def get_config(self):
        return {"seed": self.seed}


OrthogonalInitializer, IdentityInitializer = Orthogonal, Identity
orthogonal, identity, lecun_normal, lecun_uniform = Orthogonal, Identity, LecunNormal, LecunUniform
_init._ALL.update({"orthogonal": Orthogonal, "identity": Identity, "lecun_normal": LecunNormal,
                   "lecun_uniform": LecunUniform, "lecunnormal": LecunNormal, "lecununiform": LecunUniform,
                   "uniform": _init.RandomUniform, "normal": _init.RandomNormal})
