"""Deferring Ctrl-C across an update that must be all or nothing.

A SIGINT that arrives while an optimizer writes its variables would leave
some of them (and their slots) one step ahead of the rest. Inside
``deferred_interrupts()`` the signal is noted instead, and KeyboardInterrupt
is raised when the block ends, between steps.
"""

import _signal  # the C functions: signal's wrappers convert to enums on every call
import signal
import threading


class deferred_interrupts:
    """Context manager: SIGINT inside the block is raised when it exits.

    Only the main thread receives signals, so elsewhere (and when another
    handler than Python's default is installed) it does nothing.
    """

    __slots__ = ("_old", "_hit")

    def __enter__(self):
        self._old = None
        self._hit = None
        if threading.current_thread() is threading.main_thread() and \
                _signal.getsignal(_signal.SIGINT) is signal.default_int_handler:
            self._old = _signal.signal(_signal.SIGINT, self._note)
        return self

    def _note(self, signum, frame):
        self._hit = (signum, frame)

    def __exit__(self, exc_type, exc, tb):
        if self._old is not None:
            _signal.signal(_signal.SIGINT, self._old)
            if self._hit is not None and exc_type is None:
                self._old(*self._hit)  # the default handler: raises KeyboardInterrupt now
        return False
