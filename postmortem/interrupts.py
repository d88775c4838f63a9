"""Ctrl-C, noticed wherever it lands. Python raises KeyboardInterrupt so that a command unwinds (a transaction
rolls back, a half-written report is removed), but it loses it in places: inside an import's weakref callback
or a `__del__` it prints "Exception ignored" and the command runs on; inside a C extension's start-up it turns
into an ImportError; inside a C extension's embedded Python it makes the process kill itself by SIGINT at
exit, whatever exit code was given. So the handler remembers it, and the command line ends any command that
saw one with exit 130 and one line (cli.one_line_errors, __main__). Imports nothing heavy: it is installed
before the command line is imported."""

import _thread
import signal
import sys

seen = False


def _on_sigint(signum, frame) -> None:
    global seen
    seen = True
    raise KeyboardInterrupt


def _redeliver_lost(unraisable) -> None:
    """A KeyboardInterrupt Python could not raise is delivered again, to land where the command unwinds: from
    another thread, since a signal raised from this one would be handled inside this hook and lost again."""
    if issubclass(unraisable.exc_type, KeyboardInterrupt):
        _thread.start_new_thread(_thread.interrupt_main, (signal.SIGINT,))
        return
    sys.__unraisablehook__(unraisable)


def install() -> None:
    signal.signal(signal.SIGINT, _on_sigint)
    sys.unraisablehook = _redeliver_lost
