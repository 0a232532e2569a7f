"""``tensorlet.version`` (as ``tf.version``): the package's version strings."""

VERSION = "0.1.0"
GIT_VERSION = "unknown"
COMPILER_VERSION = "unknown"
