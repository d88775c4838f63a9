"""The lake, read side: where it is, its Delta tables, and what an engine scans. The write side is
postmortem/lake_write.py; a report over a lake imports this module only, never ingest.

Why a lake: one DuckDB file allows one writing process and lives on one disk. The lake is five Delta Lake
tables (delta-rs, no JVM) in one folder or object-store prefix, which many processes and machines write at once
and DuckDB or Spark read:

    LAKE/join_events/   LAKE/error_events/   LAKE/glitch_events/    event rows, each with its file's fingerprint
                                                                    (sha256) and its record's hash (record_hash)
    LAKE/rejects/                                                   every rejected line, by file fingerprint
    LAKE/files/                                                     one bookkeeping row per file, written LAST
    each with _delta_log/ (the commits) and Parquet data files

Readers take the event and reject rows of committed files only (a semi join on `files`), so an ingest that
is half done (or died) is invisible. See docs/scale-out.md.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from postmortem.errors import DatabaseError, InputError

EVENT_TABLES = ("join_events", "error_events", "glitch_events")
TABLES = (*EVENT_TABLES, "rejects", "files")
# Object stores delta-rs reaches, each taking its credentials from the environment as its own tools do
# (AWS_*, GOOGLE_*, AZURE_*: delta-rs reads those variables itself; nothing is passed on the command line).
REMOTE_SCHEMES = ("s3", "s3a", "gs", "az", "abfs", "abfss")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]+):/")


@dataclass(frozen=True)
class Location:
    """A lake: a local folder (`root`) or an object-store URI."""

    uri: str
    root: Path | None = None

    def table(self, name: str) -> str:
        return str(self.root / name) if self.root is not None else f"{self.uri.rstrip('/')}/{name}"

    def __str__(self) -> str:
        return self.uri


def locate(lake: str | os.PathLike, *, new: bool = False) -> Location:
    """Where a lake is (`new`: it may not exist yet, as for an ingest). A local folder is checked for symlinks
    leading out of it before anything is read or written there (a link planted at LAKE/join_events would
    otherwise receive our files)."""
    try:
        import deltalake  # noqa: F401 - only to say what is missing, once, here
    except ImportError:
        raise InputError("a lake needs the deltalake package: pip install 'postmortem[lake]'") from None
    text = os.fspath(lake)
    scheme = _SCHEME.match(text)
    if scheme and scheme.group(1).lower() != "file":
        name = scheme.group(1).lower()
        if name not in REMOTE_SCHEMES:
            raise InputError(
                f"lake {text}: unknown scheme {name}://; use a folder or one of {', '.join(REMOTE_SCHEMES)}"
            )
        # `s3://b/x` handed over as a Path arrives as `s3:/b/x`
        uri = re.sub(r"^([A-Za-z0-9+.-]+):/+", lambda m: f"{m.group(1).lower()}://", text)
        return Location(uri=uri.replace("s3a://", "s3://", 1))
    root = Path(re.sub(r"^file:/+", "/", text)).absolute()
    if ".." in root.parts:
        raise InputError(f"lake {text}: a lake path may not contain '..'; give the folder itself")
    if root.exists() and not root.is_dir():
        raise InputError(f"lake {root} is a file, not a folder")
    if not new and not root.is_dir():
        raise InputError(f"no lake at {root}; run `postmortem ingest LOGS --lake {root}` first")
    if root.is_dir():
        check_contained(root)
    return Location(uri=str(root), root=root)


def check_contained(root: Path) -> None:
    """Refuse a lake where a table folder, its log or a file in them is a symlink that leads outside the lake."""
    inside = root.resolve()
    entries = [root / name for name in TABLES]
    for table in list(entries):
        if table.is_dir() and not table.is_symlink():
            entries.extend(table.iterdir())
            if (table / "_delta_log").is_dir() and not (table / "_delta_log").is_symlink():
                entries.extend((table / "_delta_log").iterdir())
    for entry in entries:
        if entry.is_symlink() and not entry.resolve().is_relative_to(inside):
            raise InputError(f"lake {root}: {entry} is a symlink out of the lake; refusing to follow it")


@dataclass(frozen=True)
class LakeTables:
    """The lake's tables at one version each, as delta-rs opened them."""

    location: Location
    tables: dict  # name -> deltalake.DeltaTable

    def datasets(self) -> dict:
        """Each table as an Arrow dataset (what DuckDB scans: no extension, no download). Text columns are
        read as string_view: DuckDB 2.0 pushes its filters into the scan with string_view literals, which
        pyarrow cannot compare with plain strings ("no kernel matching input types (string, string_view)")."""
        import pyarrow as pa

        out = {}
        for name, table in self.tables.items():
            columns = table.schema().to_arrow()
            viewed = pa.schema(
                [f.with_type(pa.string_view()) if pa.types.is_string(f.type) else f for f in pa.schema(columns)]
            )
            out[name] = table.to_pyarrow_dataset(schema=viewed)
        return out

    def plain_files(self) -> bool:
        """Whether each table is exactly the rows of the Parquet files its log names (reader protocol 1: no
        deletion vectors, no column mapping), which is what delta-rs writes and what Spark reads."""
        return all(t.protocol().min_reader_version == 1 for t in self.tables.values())

    def file_uris(self) -> dict[str, list[str]]:
        """The Parquet files each table's log names (what Spark reads without Delta's jars). Each must lie in
        its table's folder: a log naming `../elsewhere` or a symlink out is refused, not followed."""
        out = {}
        for name, table in self.tables.items():
            uris = table.file_uris()
            base = self.location.table(name).rstrip("/") + "/"
            for uri in uris:
                local = Path(uri.removeprefix("file://")) if self.location.root is not None else None
                outside = not uri.removeprefix("file://").startswith(base) or "/../" in uri
                if local is not None and not outside:
                    outside = not local.resolve().is_relative_to(self.location.root.resolve())
                if outside:
                    raise InputError(f"lake {self.location}: {name} names a file outside the lake ({uri}); refusing it")
            out[name] = uris
        return out


def read(lake: str | os.PathLike) -> LakeTables:
    """Open every table of a lake for reading (one-line errors for a missing, empty or old-format lake)."""
    from deltalake import DeltaTable
    from deltalake.exceptions import DeltaError, TableNotFoundError

    location = locate(lake)
    if location.root is not None and (location.root / "_schema").is_dir():
        raise InputError(
            f"{location} is a lake of the earlier Parquet layout; convert it once with"
            f" `postmortem lake convert {location} NEW_LAKE` and read NEW_LAKE"
        )
    tables = {}
    for name in TABLES:
        try:
            tables[name] = DeltaTable(location.table(name))
        except TableNotFoundError:
            raise InputError(
                f"no files in the lake {location}; run `postmortem ingest LOGS --lake {lake}` first"
            ) from None
        except (DeltaError, OSError) as err:
            raise DatabaseError(f"cannot read the lake {location}: {first_line(err)}") from None
    return LakeTables(location, tables)


def first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
