"""`python -m postmortem` and the `postmortem` command. Ctrl-C at any moment after Python has started is one line
and exit 130, while the command line is still importing and during a command (postmortem.interrupts). Once the
command is over its exit code stands: Python's shutdown ignores Ctrl-C, since a handler would be reset to the
default midway through the shutdown and a Ctrl-C then would kill the process by SIGINT after its work was done."""

import os
import signal
import sys

from postmortem import interrupts


def _end_interrupted() -> None:
    from postmortem.cli import say_interrupted

    say_interrupted()  # said once: the command may have said it already, with what its interruption left
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(130)  # nothing is left to unwind, and a normal exit could still turn into death by SIGINT


def main() -> None:
    interrupts.install()
    try:
        from postmortem import cli

        cli.app(prog_name="postmortem")
    except KeyboardInterrupt:
        _end_interrupted()
    except SystemExit as done:
        if done.code == 130:  # typer turns a Ctrl-C while it parses the options into a silent exit 130
            _end_interrupted()
        raise
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # first: no Ctrl-C can land between the check and this
        # a Ctrl-C Python lost or turned into another error (an ImportError) ends the command all the same
        if interrupts.seen:
            _end_interrupted()


if __name__ == "__main__":
    main()
