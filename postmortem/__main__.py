"""`python -m postmortem` and the `postmortem` command. A Ctrl-C while Python is still importing the command
line is the same one line and exit 130 as one during a command."""

import sys


def main() -> None:
    try:
        from postmortem import cli

        cli.app(prog_name="postmortem")
    except KeyboardInterrupt:
        from postmortem.cli import say_interrupted

        say_interrupted()
        sys.exit(130)
    except SystemExit as done:
        # typer turns a Ctrl-C while it parses the options into a silent exit 130: say it as everywhere else
        if done.code == 130:
            from postmortem.cli import say_interrupted

            say_interrupted()
        raise


if __name__ == "__main__":
    main()
