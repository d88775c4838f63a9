"""Every built-in format loads its real sample (tests/data/formats, origins in NOTICE.md there) with no flag but
`--year` for year-less ones, recognised by content, with exact counts.

Each expectation is computed independently of the tool: a few lines of Python per format read the raw file
with string splits, `json.loads` and `strptime`, and a level table written here by hand from the format's own
documentation. Never from the tool's output, never with the profile's regular expression."""

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from postmortem import db, ingest, profiles, recognition
from postmortem.cli import app

FORMATS = Path(__file__).parent / "data" / "formats"


@dataclass(frozen=True)
class Expected:
    loaded: int
    rejected: int
    levels: dict
    first: datetime
    last: datetime


def expect(records: list[tuple[datetime, str]], rejected: int = 0) -> Expected:
    """(timestamp, level) of each record the raw file holds -> the counts a load must show."""
    stamps = [ts for ts, _ in records]
    return Expected(len(records), rejected, dict(Counter(level for _, level in records)), min(stamps), max(stamps))


def lines(name: str) -> list[str]:
    return [line for line in (FORMATS / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def utc(text: str, form: str) -> datetime:
    return datetime.strptime(text, form).replace(tzinfo=UTC)


def epoch(seconds: str) -> datetime:
    return datetime.fromtimestamp(float(seconds), UTC)


def iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def http(status: str) -> str:
    return {"5": "error", "4": "warn"}.get(status[0], "info")


# Level words as each format's documentation names them, by hand (not the tool's table).
JAVA = {"INFO": "info", "WARN": "warn", "WARNING": "warn", "ERROR": "error", "FATAL": "fatal", "DEBUG": "debug"}
BGL = {**JAVA, "SEVERE": "error", "FAILURE": "error"}
APACHE = {"notice": "info", "error": "error", "warn": "warn", "info": "info", "crit": "fatal", "debug": "debug"}
MYSQL = {"Note": "info", "System": "info", "Warning": "warn", "Error": "error"}
POSTGRES = {"LOG": "info", "INFO": "info", "NOTICE": "info", "WARNING": "warn", "ERROR": "error", "FATAL": "fatal"}
POSTGRES_ZONES = {"PDT": timedelta(hours=-7), "CEST": timedelta(hours=2)}
MONGO = {"I": "info", "W": "warn", "E": "error", "F": "fatal", "D1": "debug"}
NEXTCLOUD = {0: "debug", 1: "info", 2: "warn", 3: "error", 4: "fatal"}


def windows_cbs():  # `2016-09-28 04:30:30, Info    CBS    msg`: every line a record
    return expect(
        [(utc(x[:19], "%Y-%m-%d %H:%M:%S"), x.split(",")[1].split()[0].lower()) for x in lines("windows_cbs.log")]
    )


def hpc():  # fifth field: epoch seconds; the log has no severity
    return expect([(epoch(x.split()[4]), "unknown") for x in lines("hpc.log")])


def bgl():  # second field: epoch seconds; ninth: the level
    return expect([(epoch(x.split()[1]), BGL[x.split()[8]]) for x in lines("bgl.log")])


def apache_error():  # `[Sun Dec 04 04:47:44 2005] [notice] msg`
    return expect(
        [
            (utc(x[1:25], "%a %b %d %H:%M:%S %Y"), APACHE[x.split("] [")[1].split("]")[0]])
            for x in lines("apache_error.log")
        ]
    )


def openstack():  # `file 2017-05-16 00:00:00.008 pid LEVEL logger ...`
    return expect(
        [(utc(" ".join(x.split()[1:3]), "%Y-%m-%d %H:%M:%S.%f"), JAVA[x.split()[4]]) for x in lines("openstack.log")]
    )


def haproxy(name="haproxy.log", year="2019"):  # syslog-wrapped; an HTTP log line: the status after the timers
    records = []
    for x in lines(name):
        parts = x.split()
        timers = [i for i, p in enumerate(parts[6:], 6) if re.fullmatch(r"\+?-?\d+(/\+?-?\d+){3,4}", p)]
        status = parts[timers[0] + 1] if timers and " [" in x and len(parts) > timers[0] + 1 else ""
        level = http(status) if re.fullmatch(r"\d{3}", status) else "unknown"
        records.append((utc(f"{year} " + x[:15], "%Y %b %d %H:%M:%S"), level))
    return expect(records)


def mysql_error():  # `2020-08-06T14:25:02.835618Z 0 [Note] [MY-012487] [InnoDB] msg`
    return expect([(iso(x.split()[0]), MYSQL[x.split()[2].strip("[]")]) for x in lines("mysql_error.log")])


def uwsgi():  # the date in the second [...] group, the status inside `(HTTP/1.1 200)`
    records = []
    for x in lines("uwsgi.log"):
        date = x.split("bytes} [")[1].split("]")[0]
        status = x.split("(HTTP/")[1].split(")")[0].split()[1]
        records.append((utc(date, "%a %b %d %H:%M:%S %Y"), http(status)))
    return expect(records)


def vpxd():  # `2022-06-02T11:58:12.193Z info vpxd[45715] ...`
    return expect([(iso(x.split()[0]), {"info": "info", "warning": "warn"}[x.split()[1]]) for x in lines("vpxd.log")])


def zap_console():  # a record opens with a timestamp and a tab; stack trace lines do not
    records = [x.split("\t") for x in lines("zap_console.log") if x[:4].isdigit() and "\t" in x]
    return expect([(iso(r[0]), r[1]) for r in records])


def postgres(
    name,
):  # `2025-08-13 01:45:01.123 PDT [12345] LOG:  msg`; DETAIL/STATEMENT lines belong to the record above
    records = []
    for x in lines(name):
        parts = x.split()
        if x[:4].isdigit() and parts[4].rstrip(":") in POSTGRES:
            local = datetime.strptime(f"{parts[0]} {parts[1]}", "%Y-%m-%d %H:%M:%S.%f")
            records.append(((local - POSTGRES_ZONES[parts[2]]).replace(tzinfo=UTC), POSTGRES[parts[4].rstrip(":")]))
    return expect(records)


def laravel():  # a record opens with `[2023-05-15 18:19:32] channel.LEVEL:`; the rest is its stack trace
    records = [x for x in lines("laravel.log") if x.startswith("[20")]
    return expect([(utc(x[1:20], "%Y-%m-%d %H:%M:%S"), JAVA[x.split()[2].split(".")[1].rstrip(":")]) for x in records])


BUNYAN = {10: "debug", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal"}
ECS = {"debug": "debug", "info": "info", "warning": "warn", "error": "error", "critical": "fatal"}
SYSLOG = {"0": "fatal", "1": "fatal", "2": "fatal", "3": "error", "4": "warn", "5": "info", "6": "info", "7": "debug"}


def otel():  # a record per logRecord; severityNumber 1-8 debug, 9-12 info, 13-16 warn, 17-20 error, 21-24 fatal
    records = []
    for line in lines("otel.jsonl"):
        for resource in json.loads(line)["resourceLogs"]:
            for scope in resource["scopeLogs"]:
                for r in scope["logRecords"]:
                    n = r.get("severityNumber")
                    level = (
                        "unknown" if n is None else ["debug", "debug", "info", "warn", "error", "fatal"][(n - 1) // 4]
                    )
                    records.append((epoch(int(r["timeUnixNano"]) / 1e9), level))
    return expect(records)


def logrus():  # `time="2021-09-15T21:17:10.220731Z" level=error msg="..."`
    words = {"error": "error", "warning": "warn", "info": "info"}
    return expect([(iso(x.split('"')[1]), words[x.split("level=")[1].split()[0]]) for x in lines("logrus.log")])


def syslog5424_nopri():  # `ts host app procid msgid [sd] msg`; the level only where the SD holds level="..."
    records = []
    for x in lines("syslog5424_nopri.log"):
        level = x.split('level="')[1].split('"')[0].lower() if 'level="' in x.split("] ")[0] else "unknown"
        records.append((iso(x.split()[0]), level))
    return expect(records)


LOGCAT = {"V": "debug", "D": "debug", "I": "info", "W": "warn", "E": "error", "F": "fatal", "A": "fatal"}


def logcat():  # `03-17 16:13:38.811  1702  2395 D Tag: msg`: date, time, pid, tid, level letter
    return expect(
        [(utc("2017 " + x[:18], "%Y %m-%d %H:%M:%S.%f"), LOGCAT[x.split()[4]]) for x in lines("logcat_threadtime.log")]
    )


def proxifier():  # `[10.30 16:49:06] program - target ...`; only `error :` lines say a severity
    records = [
        (utc("2017 " + x[1:15], "%Y %m.%d %H:%M:%S"), "error" if " error : " in x else "unknown")
        for x in lines("proxifier.log")
    ]
    return expect(records)


def glog():  # `E0517 15:04:22.619632 ...`: level letter, then month and day
    return expect([(utc("2017" + x[1:21], "%Y%m%d %H:%M:%S.%f"), LOGCAT[x[0]]) for x in lines("glog.log")])


def nginx_error():  # a record opens with `2016/10/25 14:49:34 [error]`; PHP message lines continue it
    records = [x for x in lines("nginx_error.log") if x[:4].isdigit()]
    return expect([(utc(x[:19], "%Y/%m/%d %H:%M:%S"), x.split()[2].strip("[]")) for x in records])


def alb():  # `type time elb client target t1 t2 t3 elb_status ...`
    return expect([(iso(x.split()[1]), http(x.split()[8])) for x in lines("alb.log")])


def elb():  # `time elb client backend t1 t2 t3 elb_status ...`; `-` for a TCP listener
    return expect([(iso(x.split()[0]), http(s) if (s := x.split()[7]) != "-" else "unknown") for x in lines("elb.log")])


def s3():  # `owner bucket [time] ... "request" status ...`
    return expect(
        [
            (
                datetime.strptime(x.split("[")[1].split("]")[0], "%d/%b/%Y:%H:%M:%S %z").astimezone(UTC),
                http(x.split('"')[2].split()[0]),
            )
            for x in lines("s3.log")
        ]
    )


def apache_error_24():  # `[Tue Apr 04 06:18:29.712806 2017] [module:level] ...`
    records = []
    for x in lines("apache_error_24.log"):
        stamp = x[1:].split("]")[0]
        form = "%a %b %d %H:%M:%S.%f %Y" if "." in stamp else "%a %b %d %H:%M:%S %Y"
        records.append((utc(stamp, form), APACHE[x.split("] [")[1].split("]")[0].split(":")[-1]]))
    return expect(records)


def access(name):  # `client(s) - user [time] "request" status ...`; whatever follows the status is not read
    records = []
    for x in lines(name):
        stamp = datetime.strptime(x.split("[", 1)[1].split("]")[0], "%d/%b/%Y:%H:%M:%S %z").astimezone(UTC)
        records.append((stamp, http(x.split('] "', 1)[1].split('" ', 1)[1].split()[0])))
    return expect(records)


def vdsm():  # `thread::LEVEL::2011-12-05 07:04:56,101::...`; traceback lines (no `::LEVEL::`) continue a record
    records = [x.split("::") for x in lines("vdsm.log") if x.count("::") >= 6]
    return expect([(utc(r[2], "%Y-%m-%d %H:%M:%S,%f"), JAVA[r[1]]) for r in records])


PYTHON = {"DEBUG": "debug", "INFO": "info", "WARNING": "warn", "ERROR": "error", "CRITICAL": "fatal"}


def python_logging():  # `%(asctime)s %(levelname)s %(message)s`; lines without the date continue a record
    records = [x for x in lines("python_logging.log") if x[:4].isdigit()]
    return expect([(utc(x[:23], "%Y-%m-%d %H:%M:%S,%f"), PYTHON[x.split()[2]]) for x in records])


def zookeeper():  # `2015-07-29 17:41:44,747 - INFO  [thread] - msg`
    return expect([(utc(x[:23], "%Y-%m-%d %H:%M:%S,%f"), JAVA[x.split()[3]]) for x in lines("zookeeper.log")])


def grafana():  # `logger=settings t=2025-04-24T19:51:48.520963849Z level=info msg=...`; nanoseconds cut to micro
    return expect(
        [(iso(x.split(" t=")[1].split()[0][:26] + "Z"), x.split("level=")[1].split()[0]) for x in lines("grafana.log")]
    )


def zeek():  # tab-separated under `#fields ts uid ...`; ts in epoch seconds; `#` lines are directives
    return expect([(epoch(x.split("\t")[0]), "unknown") for x in lines("zeek_conn.log") if not x.startswith("#")])


def w3c(name):  # rows under `#Fields:`; a row without a date column takes the `#Date:` above it
    records, date, columns = [], None, []
    for x in lines(name):
        if x.startswith("#Date:"):
            date = x.split()[1]
        elif x.startswith("#Fields:"):
            columns = x.split()[1:]
        elif not x.startswith("#"):
            row = dict(zip(columns, x.split(), strict=True))
            day = row.get("date", date)
            records.append((utc(f"{day} {row['time']}", "%Y-%m-%d %H:%M:%S"), http(row["sc-status"])))
    return expect(records)


def cri():  # `2024-04-16T06:21:30.494902976Z stderr F msg`: every line a record (a `P` part too); no severity
    return expect([(iso(x.split()[0]), "unknown") for x in lines("cri.log")])


# LogSeverity names as Google's LogEntry reference lists them; a missing severity is DEFAULT (none assigned)
GCP = {"DEFAULT": "unknown", "DEBUG": "debug", "INFO": "info", "NOTICE": "info", "WARNING": "warn", "ERROR": "error"}


def cloudfront():  # tab-separated rows under a space-separated `#Fields:`; a row with a value too many is rejected
    records, rejected, fields = [], 0, []
    for x in lines("cloudfront.log"):
        if x.startswith("#Fields:"):
            fields = x.split()[1:]
        elif not x.startswith("#"):
            values = x.split("\t")
            if len(values) != len(fields):
                rejected += 1  # by hand: line 5 ends with a stray tab (34 values, 33 fields)
                continue
            row = dict(zip(fields, values, strict=True))
            records.append((utc(f"{row['date']} {row['time']}", "%Y-%m-%d %H:%M:%S"), http(row["sc-status"])))
    return expect(records, rejected)


def envoy():  # `[2020-08-13T22:58:42.619Z] "GET /service/red HTTP/2" 200 - 0 148 ...`: the status after the request
    return expect([(iso(x[1:].split("]")[0]), http(x.split('" ')[1].split()[0])) for x in lines("envoy.log")])


def cloudtrail():  # `{"Records":[...]}`: a record per event; errorCode (a failed call) is an error, else info
    records = [r for x in lines("cloudtrail.json") for r in json.loads(x)["Records"]]
    return expect([(iso(r["eventTime"]), "error" if r.get("errorCode") else "info") for r in records])


def logcat_plaso():  # threadtime and time (brief with a time) lines, with the year/zone/usec/uid adverbs
    records, rejected = [], 0
    for x in lines("logcat_plaso.log"):
        if x.startswith("-"):  # by hand: `--------- beginning of main` and `... of kernel` are no records
            rejected += 1
            continue
        parts = x.split()
        stamp = " ".join(parts[:2]) if x[4] == "-" else "2022-" + " ".join(parts[:2])  # --year 2022
        zoned = parts[2][0] in "+-"
        ts = datetime.strptime(f"{stamp} {parts[2] if zoned else '+0000'}", "%Y-%m-%d %H:%M:%S.%f %z")
        rest = parts[3:] if zoned else parts[2:]
        letter = rest[0][0] if "/" in rest[0] else next(p for p in rest if len(p) == 1 and p.isalpha())
        records.append((ts.astimezone(UTC), LOGCAT[letter]))
    return expect(records, rejected)


def json_records(name, ts, level):
    return expect([(ts(r), level(r)) for r in map(json.loads, lines(name))])


@dataclass(frozen=True)
class Reference:
    profile: str
    expected: Callable[[], Expected]
    flags: tuple[str, ...] = ()


REFERENCES = {
    "windows_cbs.log": Reference("windows_cbs", windows_cbs),
    "hpc.log": Reference("hpc", hpc),
    "bgl.log": Reference("bgl", bgl),
    "apache_error.log": Reference("apache_error", apache_error),
    "openstack.log": Reference("openstack", openstack),
    "haproxy.log": Reference("haproxy", haproxy, ("--year", "2019")),
    # a captured host after backend/server on 9 of its 10 lines
    "haproxy_host.log": Reference("haproxy", lambda: haproxy("haproxy_host.log", "2021"), ("--year", "2021")),
    "mysql_error.log": Reference("mysql_error", mysql_error),
    "uwsgi.log": Reference("uwsgi", uwsgi),
    "vpxd.log": Reference("vpxd", vpxd),
    "zap_console.log": Reference("zap_console", zap_console),
    "postgres.log": Reference("postgres", lambda: postgres("postgres.log")),
    "postgres_statements.log": Reference("postgres", lambda: postgres("postgres_statements.log")),
    # 8 lines, 2 records: DETAIL, CONTEXT and STATEMENT lines repeat their record's time and join it
    "postgres_detail.log": Reference("postgres", lambda: postgres("postgres_detail.log")),
    "laravel.log": Reference("monolog", laravel),
    "caddy.json": Reference(
        "caddy", lambda: json_records("caddy.json", lambda r: epoch(r["ts"]), lambda r: r["level"])
    ),
    "mongodb.json": Reference(
        "mongodb", lambda: json_records("mongodb.json", lambda r: iso(r["t"]["$date"]), lambda r: MONGO[r["s"]])
    ),
    "nextcloud.json": Reference(
        "nextcloud",
        lambda: json_records("nextcloud.json", lambda r: iso(r["time"]), lambda r: NEXTCLOUD[r["level"]]),
    ),
    "bunyan.log": Reference(
        "bunyan", lambda: json_records("bunyan.log", lambda r: iso(r["time"]), lambda r: BUNYAN[r["level"]])
    ),
    "pino.log": Reference(
        "pino", lambda: json_records("pino.log", lambda r: epoch(r["time"] / 1000), lambda r: r["level"])
    ),
    "ecs.json": Reference(
        "ecs", lambda: json_records("ecs.json", lambda r: iso(r["@timestamp"]), lambda r: ECS[r["log.level"]])
    ),
    "journald.json": Reference(
        "journald",
        lambda: json_records(
            "journald.json", lambda r: epoch(int(r["__REALTIME_TIMESTAMP"]) / 1e6), lambda r: SYSLOG[r["PRIORITY"]]
        ),
    ),
    "otel.jsonl": Reference("otel", otel),
    "cloudflare.json": Reference(
        "cloudflare",
        lambda: json_records(
            "cloudflare.json", lambda r: iso(r["EdgeStartTimestamp"]), lambda r: http(str(r["EdgeResponseStatus"]))
        ),
    ),
    "vdsm.log": Reference("vdsm", vdsm),
    "zeek_conn.log": Reference("zeek", zeek),
    "w3c_httpapi.log": Reference("w3c", lambda: w3c("w3c_httpapi.log")),
    "w3c_iis4.log": Reference("w3c", lambda: w3c("w3c_iis4.log")),
    # two equal lines (the same request twice in one second): both kept, the server wrote both
    "w3c_iis75.log": Reference("w3c", lambda: w3c("w3c_iis75.log")),
    # no @l in either line: Information by the format's rule; 7-digit fractions, the first 6 digits kept
    "clef.json": Reference(
        "clef", lambda: json_records("clef.json", lambda r: iso(r["@t"][:26] + "Z"), lambda r: "info")
    ),
    # no @l means Information (lines 1-2); Warning and Error as written
    "clef_reader.json": Reference(
        "clef",
        lambda: json_records(
            "clef_reader.json",
            lambda r: iso(r["@t"][:26] + "Z"),
            lambda r: {"Warning": "warn", "Error": "error"}.get(r.get("@l"), "info"),
        ),
    ),
    "python_logging.log": Reference("simple", python_logging),
    "zookeeper.log": Reference("simple", zookeeper),
    "k8s_audit.json": Reference(
        "k8s_audit",
        lambda: json_records(
            "k8s_audit.json", lambda r: iso(r["stageTimestamp"]), lambda r: http(str(r["responseStatus"]["code"]))
        ),
    ),
    # nanosecond times: the first 6 digits of the fraction (both files' 7th digit is below 5)
    "docker_istio_init.json": Reference(
        "docker_json",
        lambda: json_records("docker_istio_init.json", lambda r: iso(r["time"][:26] + "Z"), lambda r: "unknown"),
    ),
    "docker_apache.json": Reference(
        "docker_json",
        lambda: json_records("docker_apache.json", lambda r: iso(r["time"][:26] + "Z"), lambda r: "unknown"),
    ),
    # fractions of 7-9 digits: fromisoformat keeps the first 6, as the staging does
    "cloudfront.log": Reference("cloudfront", cloudfront),
    "cloudtrail.json": Reference("cloudtrail", cloudtrail),
    "cri.log": Reference("cri", cri),
    "envoy.log": Reference("envoy", envoy),  # two identical lines (22:58:45.755Z): both kept
    "gcp_logging.jsonl": Reference(
        "gcp_logentry",
        lambda: json_records(
            "gcp_logging.jsonl", lambda r: iso(r["timestamp"]), lambda r: GCP[r.get("severity", "DEFAULT")]
        ),
    ),
    "logrus.log": Reference("logfmt", logrus),
    "grafana.log": Reference("logfmt", grafana),
    "syslog5424_nopri.log": Reference("syslog5424_nopri", syslog5424_nopri),
    # by hand, 1 line: <86> is facility 10 (authpriv) * 8 + severity 6 (informational)
    "syslog5424.log": Reference(
        "syslog5424", lambda: expect([(datetime(2015, 8, 5, 21, 58, 59, 693000, tzinfo=UTC), "info")])
    ),
    "logcat_threadtime.log": Reference("logcat", logcat, ("--year", "2017")),
    "logcat_plaso.log": Reference("logcat", logcat_plaso, ("--year", "2022")),
    # StartUTC, or StartLocal where a line has none (nanoseconds: the first 6 digits); status 404 warn, 200/304 info
    "traefik.json": Reference(
        "traefik",
        lambda: json_records(
            "traefik.json",
            lambda r: iso(r.get("StartUTC") or r["StartLocal"]),
            lambda r: http(str(r["DownstreamStatus"])),
        ),
    ),
    "proxifier.log": Reference("proxifier", proxifier, ("--year", "2017")),
    "glog.log": Reference("glog", glog, ("--year", "2017")),
    "nginx_error.log": Reference("nginx_error", nginx_error),
    "alb.log": Reference("alb", alb),
    "access_traefik.log": Reference("access", lambda: access("access_traefik.log")),
    "access_nginx_xff.log": Reference("access", lambda: access("access_nginx_xff.log")),
    # a virtual host (`example.com:80`) before the X-Forwarded-For list and the client
    "access_nginx_host.log": Reference("access", lambda: access("access_nginx_host.log")),
    "elb.log": Reference("elb", elb),
    "s3.log": Reference("s3", s3),
    "apache_error_24.log": Reference("apache_error", apache_error_24),
    # by hand, 4 lines: `*` notice, `.` debug, `*` notice, and a signal handler's line with an epoch and no level mark
    # (1496141844 = 2017-05-30 10:57:24 UTC)
    "redis.log": Reference(
        "redis",
        lambda: expect(
            [
                (datetime(2017, 5, 30, 12, 23, 52, 442000, tzinfo=UTC), "info"),
                (datetime(2017, 5, 30, 10, 5, 20, tzinfo=UTC), "debug"),
                (datetime(2017, 5, 31, 4, 32, 8, tzinfo=UTC), "info"),
                (epoch("1496141844"), "unknown"),
            ]
        ),
        ("--year", "2017"),
    ),
    # by hand, 3 lines: redis 7 writes the year (2023), `#` warning, a signal handler's line without a mark
    "redis_lnav.log": Reference(
        "redis",
        lambda: expect(
            [
                (datetime(2023, 8, 29, 13, 47, 38, 984000, tzinfo=UTC), "info"),
                (epoch("1693279182"), "unknown"),
                (datetime(2017, 4, 13, 12, 52, 30, 731000, tzinfo=UTC), "warn"),
            ]
        ),
        ("--year", "2017"),
    ),
    # by hand, 2 lines: both INFO
    "ruby_logger.log": Reference(
        "ruby_logger",
        lambda: expect(
            [
                (datetime(2024, 6, 26, 17, 0, 4, 497736, tzinfo=UTC), "info"),
                (datetime(2019, 1, 4, 5, 14, 33, tzinfo=UTC), "info"),
            ]
        ),
    ),
}


def load(runner, tmp_path, name, *flags):
    database = tmp_path / "formats.duckdb"
    result = runner.invoke(app, ["ingest", str(FORMATS / name), "--db", str(database), *flags])
    assert result.exit_code == 0, result.output
    return db.connect(database, read_only=True)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_format_loads_exactly_with_no_flag(runner, tmp_path, name):
    ref = REFERENCES[name]
    expected = ref.expected()
    (planned,) = ingest.plan([FORMATS / name])
    assert planned.profile is not None and planned.profile.name == ref.profile
    with load(runner, tmp_path, name, *ref.flags) as con:
        loaded, rejected = con.sql("select loaded, rejected from files").fetchall()[0]
        levels = dict(con.sql("select level, count(*) from error_events group by level").fetchall())
        first, last = con.sql("select min(ts), max(ts) from error_events").fetchall()[0]
    assert (loaded, rejected) == (expected.loaded, expected.rejected)
    assert levels == expected.levels
    assert (first, last) == (expected.first, expected.last)


def test_every_built_in_format_has_a_real_sample():
    # `ours` is our own log (sample_logs/); `loghub` is Loghub's structured CSV, tested in test_real_logs
    tested = {ref.profile for ref in REFERENCES.values()} | {"ours", "loghub"}
    tested |= {"access", "syslog", "log4j", "hdfs", "thunderbird", "simple"}  # test_real_logs.py
    missing = sorted(set(profiles.built_in()) - tested)
    assert missing == []


def test_nextcloud_numeric_levels_are_its_own_scale_not_syslog(runner, tmp_path):
    # level 1 is "info" on Nextcloud's 0-4 scale; on syslog's 0-7 it would be "alert" (5 fatal errors)
    with load(runner, tmp_path, "nextcloud.json") as con:
        assert con.sql("select distinct level from error_events").fetchall() == [("info",)]


def test_postgres_zone_abbreviation_is_a_zone_not_a_level(runner, tmp_path):
    # by hand, line 1: `2025-08-13 01:45:01.123 PDT [12345] LOG:  starting PostgreSQL ...`; PDT is UTC-7
    with load(runner, tmp_path, "postgres.log") as con:
        first = con.sql("select ts, level, message from error_events order by ts limit 1").fetchall()[0]
    assert first[0] == datetime(2025, 8, 13, 8, 45, 1, 123000, tzinfo=UTC)
    assert first[1] == "info"
    assert first[2].startswith("starting PostgreSQL 15.4")


def test_postgres_detail_lines_join_the_error_above(runner, tmp_path):
    with load(runner, tmp_path, "postgres_statements.log") as con:
        (message,) = con.sql("select message from error_events order by ts limit 1").fetchall()[0]
    # by hand: line 1 is the ERROR, line 2 its STATEMENT (a tab-indented SQL text follows)
    assert message.startswith('syntax error at or near "null" at character 510')
    assert "STATEMENT:  create table if not exists scrape_memory (" in message


@pytest.mark.parametrize(
    ("text", "profile"),
    [(p.example, p.name) for p in profiles.built_in().values() if p.mapping.pattern and p.example],
)
def test_each_text_profile_recognises_its_own_example(text, profile):
    best, share = recognition.best_text_profile([text])
    assert (best.name if best else None, share) == (profile, 1.0)


def test_docs_list_every_built_in_format_with_its_example():
    doc = (Path(__file__).parent.parent / "docs" / "log-format.md").read_text()
    missing = [
        name
        for name, p in profiles.built_in().items()
        if name != "ours" and (f"### `{name}` (" not in doc or p.example not in doc)
    ]
    assert missing == []


def test_a_year_less_ts_format_takes_the_year_never_1900(runner, tmp_path):
    log = tmp_path / "app.log"
    log.write_text("03-17 16:13:38.811 E boom\n")
    database = tmp_path / "y.duckdb"
    pattern = r"^(?P<ts>\S+ \S+) (?P<level>\w) (?P<message>.*)$"
    flags = ["--pattern", pattern, "--ts-format", "%m-%d %H:%M:%S.%f", "--year", "2017", "--set", "service=app"]
    result = runner.invoke(app, ["ingest", str(log), "--db", str(database), *flags])
    assert result.exit_code == 0, result.output
    with db.connect(database, read_only=True) as con:
        assert con.sql("select ts from error_events").fetchall() == [
            (datetime(2017, 3, 17, 16, 13, 38, 811000, tzinfo=UTC),)
        ]


def test_clef_reads_the_rendered_message_or_the_template_line_by_line(runner, tmp_path):
    # by hand: line 1 has only @mt, line 2 only @m (profile: message = ["@m", "@mt"], tried record by record)
    with load(runner, tmp_path, "clef.json") as con:
        messages = sorted(m for (m,) in con.sql("select message from error_events").fetchall())
    assert messages == ['Hello, "nblumhardt"', "Hello, {User}"]


def test_an_optional_field_holding_an_object_keeps_its_json(runner, tmp_path):
    # CLEF's `User` property is an object; user_id reads it by its alias: the record loads, the object as JSON
    with load(runner, tmp_path, "clef_reader.json") as con:
        rows = con.sql("select message, user_id from error_events order by ts").fetchall()
    assert rows[0] == ("Hello, {@User}", '{"Name":"nblumhardt","Id":101}')
    assert [user for _, user in rows[1:]] == [None, None, None]


@pytest.mark.parametrize(
    ("line", "flags", "profile", "level"),
    [
        # HAProxy's own documentation examples: a TCP log has 3 timers and no status (212 is bytes), HTTP 5
        (
            "Feb  6 12:12:56 localhost haproxy[14387]: 10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt bck/srv1"
            " 0/0/5007 212 -- 0/0/0/0/3 0/0",
            ["--year", "2009"],
            "haproxy",
            "unknown",
        ),
        (
            "Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in"
            ' static/srv1 10/0/30/69/109 503 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1"',
            ["--year", "2009"],
            "haproxy",
            "error",
        ),
        # `adb logcat -v threadtime,year` writes the year: no --year needed
        ("2017-03-17 16:13:38.811  1702  2395 W WindowManager: slow", [], "logcat", "warn"),
        # `adb logcat -v time` (brief with a time), lnav's sample (src/formats/logcat_log.json, BSD-2): V is verbose
        (
            "05-26 14:57:03.870 V/Configuration( 1766): Updating configuration, locales updated from [] to [en_US]",
            ["--year", "2025"],
            "logcat",
            "debug",
        ),
        # Contour's docs (projectcontour/contour, Apache-2.0, site/content/docs/main/troubleshooting/
        # common-proxy-errors.md @ 31c4bb38e0a52cef4d8273dd5641a70e39f1d693): no upstream time (`-`), 503 UF
        (
            '[2024-02-06T15:18:17.437Z] "GET / HTTP/1.1" 503 UF 0 91 1998 - "103.67.2.26" "curl/8.4.0"'
            ' "d70640ec-2feb-46f8-9f63-24c44142c42e" "example.projectcontour.io" "10.244.8.27:8080"',
            [],
            "envoy",
            "error",
        ),
        # a CRI line with nothing written after the flag: an empty message, still a record
        ("2024-04-16T06:21:30.494902976Z stdout F", [], "cri", "unknown"),
        # CloudTrail records of opentelemetry-collector-contrib's awslogsencodingextension test data (Apache-2.0,
        # internal/unmarshaler/cloudtraillog/testdata/cloudtrail_log.json @ 96e4eca0da47df948136a85ab3aeda68b459b274),
        # abridged to one line: a call that failed (errorCode) is an error; an Insight event names its call inside
        (
            '{"Records":[{"eventVersion":"1.09","userIdentity":{"type":"IAMUser",'
            '"arn":"arn:aws:iam::111122223333:user/Terry"},"eventTime":"2023-07-19T21:35:03Z",'
            '"eventSource":"cloudtrail.amazonaws.com","eventName":"UpdateTrail","awsRegion":"us-east-1",'
            '"errorCode":"TrailNotFoundException","eventType":"AwsApiCall","recipientAccountId":"111122223333"}]}',
            [],
            "cloudtrail",
            "error",
        ),
        (
            '{"Records":[{"eventVersion":"1.08","eventTime":"2023-01-02T02:51:00Z","awsRegion":"us-east-1",'
            '"eventID":"654a30ff-b0f3-4527-81b6-EXAMPLEf2393","eventType":"AwsCloudTrailInsight",'
            '"insightDetails":{"state":"Start","eventSource":"ssm.amazonaws.com",'
            '"eventName":"UpdateInstanceInformation","insightType":"ApiCallRateInsight"},"eventCategory":"Insight"}]}',
            [],
            "cloudtrail",
            "info",
        ),
    ],
)
def test_format_variants(runner, tmp_path, line, flags, profile, level):
    log = tmp_path / "variant.log"
    log.write_text(line + "\n")
    (planned,) = ingest.plan([log])
    assert planned.profile.name == profile
    database = tmp_path / "v.duckdb"
    result = runner.invoke(app, ["ingest", str(log), "--db", str(database), *flags])
    assert result.exit_code == 0, result.output
    with db.connect(database, read_only=True) as con:
        assert con.sql("select level from error_events").fetchall() == [(level,)]


def _first_of(record: dict, paths: list[str]):
    for path in paths:
        value = record
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None:
            return value
    return None


@pytest.mark.parametrize(
    ("name", "message"),
    [
        # CRI: whatever follows `time stream flag ` (a `P` part is its own record)
        ("cri.log", lambda: [x.split(" ", 3)[3] for x in lines("cri.log")]),
        # logcat: what follows the tag's `: ` (no message here holds one); dividers are rejects
        ("logcat_plaso.log", lambda: [x.rsplit(": ", 1)[1] for x in lines("logcat_plaso.log") if x[0] != "-"]),
        # Traefik: the method and the path
        (
            "traefik.json",
            lambda: [f"{r['RequestMethod']} {r['RequestPath']}" for r in map(json.loads, lines("traefik.json"))],
        ),
        # CloudTrail: the API call's name, record by record
        (
            "cloudtrail.json",
            lambda: [r["eventName"] for x in lines("cloudtrail.json") for r in json.loads(x)["Records"]],
        ),
        # LogEntry: the text payload, a JSON payload's message, an audit log's method, else the log's name
        (
            "gcp_logging.jsonl",
            lambda: [
                _first_of(r, ["textPayload", "jsonPayload.message", "protoPayload.methodName", "logName"])
                for r in map(json.loads, lines("gcp_logging.jsonl"))
            ],
        ),
    ],
)
def test_messages_are_the_formats_own(runner, tmp_path, name, message):
    ref = REFERENCES[name]
    with load(runner, tmp_path, name, *ref.flags) as con:
        got = [m for (m,) in con.sql("select message from error_events").fetchall()]
    assert sorted(got) == sorted(message())


def test_a_directive_row_with_a_value_too_many_is_a_reject_saying_so(runner, tmp_path):
    # by hand: cloudfront.log's line 5 ends with a stray tab, 34 values under its 33 #Fields names
    with load(runner, tmp_path, "cloudfront.log") as con:
        assert con.sql("select line, reason from rejects").fetchall() == [
            (5, "34 values for the 33 columns of the directive above")
        ]
