"""The command line's start-up time: how long `postmortem --version`, `--help` and a command's `--help` take
before any work, against a bare Python, with the modules that cost most (from `python -X importtime`).

Every figure is the median of --runs fresh processes, the commands interleaved run by run so a busy
neighbour hurts them alike; the load average is printed beside them.

Usage: python bench/startup.py [--runs 21] [--markdown bench/STARTUP.md] [--root OTHER_CHECKOUT]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).parent.parent
COMMANDS = {
    "python -c pass": ["-c", "pass"],
    "postmortem --version": ["-m", "postmortem", "--version"],
    "postmortem --help": ["-m", "postmortem", "--help"],
    "postmortem report --help": ["-m", "postmortem", "report", "--help"],
    "postmortem sql --help": ["-m", "postmortem", "sql", "--help"],
}


def seconds(args: list[str], env: dict) -> float:
    started = time.perf_counter()
    # run from the checkout measured: `python -m` puts the working directory first on the path
    subprocess.run([sys.executable, *args], check=True, capture_output=True, env=env, cwd=env["PYTHONPATH"])
    return time.perf_counter() - started


def import_costs(env: dict, top: int = 8) -> list[tuple[str, float]]:
    """The modules with the largest cumulative import time when the CLI is imported (seconds)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import postmortem.cli"],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=env["PYTHONPATH"],
    )
    rows = []
    for line in done.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((parts[2].strip(), int(parts[1]) / 1e6))
    return sorted(rows, key=lambda r: -r[1])[:top]


def measure(runs: int, root: Path = ROOT) -> dict:
    env = {**os.environ, "PYTHONPATH": str(root)}
    samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, args in COMMANDS.items():
            samples[name].append(seconds(args, env))
    return {
        "runs": runs,
        "load_average": os.getloadavg(),
        "median_s": {name: statistics.median(s) for name, s in samples.items()},
        "max_s": {name: max(s) for name, s in samples.items()},
        "imports": import_costs(env),
    }


def markdown(result: dict) -> str:
    load = ", ".join(f"{x:.2f}" for x in result["load_average"])
    lines = [
        "# CLI start-up time",
        "",
        f"`python bench/startup.py --runs {result['runs']}`: median and slowest of {result['runs']} fresh processes,",
        f"{os.cpu_count()} cores, load average {load} when the run ended.",
        "",
        "| command | median | slowest |",
        "|---|---:|---:|",
    ]
    for name, median in result["median_s"].items():
        lines.append(f"| `{name}` | {median:.3f} s | {result['max_s'][name]:.3f} s |")
    lines += ["", "Largest cumulative imports of `import postmortem.cli` (`python -X importtime`):", ""]
    lines += ["| module | seconds |", "|---|---:|"]
    lines += [f"| `{module}` | {cost:.3f} |" for module, cost in result["imports"]]
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--markdown", type=Path, help="Also write the table to this file.")
    parser.add_argument("--root", type=Path, default=ROOT, help="The checkout to measure (e.g. an older one).")
    args = parser.parse_args(argv)
    text = markdown(measure(args.runs, args.root))
    sys.stdout.write(text)
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
