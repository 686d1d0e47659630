#!/usr/bin/env python3
"""Turns the SQL one request sent to PostgreSQL into a pgbench script (for `-M prepared`).

Proves that the pgbench ceiling runs exactly the service's statements: they are read
from PostgreSQL's own log (log_statement = 'all' on the benchmark database), not retyped,
and each $n parameter is replaced by the value the service bound to it.

usage: capture_sql.py LOGFILE OFFSET DATABASE > script.sql
Reads LOGFILE from byte OFFSET; keeps the statements logged for DATABASE, in order,
leaving out the connection set-up (`SET ...`).
"""
import re
import sys

LINE = re.compile(r"^.*?\[(\d+)\] (\S*)@(\S*) ([A-Z]+):  (.*)$")
EXECUTE = re.compile(r"^(?:execute [^:]+|statement): (.*)$", re.S)
PARAM = re.compile(r"\$(\d+) = ('(?:[^']|'')*'|NULL)")


def entries(text):
    """(pid, database, level, message) per log entry; continuation lines joined."""
    current = None
    for line in text.splitlines():
        match = LINE.match(line)
        if match:
            if current:
                yield current
            pid, _user, db, level, message = match.groups()
            current = [pid, db, level, message]
        elif current and line.startswith("\t"):
            current[3] += "\n" + line[1:]
    if current:
        yield current


def literal(value):
    """A logged parameter as SQL. pgbench reads `:name` in a script as a variable, even
    inside quotes, so a colon in a value is spelled `\\x3a` in an E'' string: the same
    value, and the statement stays preparable (`-M prepared`)."""
    if ":" not in value or value == "NULL":
        return value
    return "E" + value.replace("\\", "\\\\").replace(":", "\\x3a")


def main():
    path, offset, database = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(path, "rb") as log:
        log.seek(offset)
        text = log.read().decode("utf-8", "replace")
    statements = []  # [pid, sql, params]
    for pid, db, level, message in entries(text):
        if db != database:
            continue
        if level == "LOG":
            match = EXECUTE.match(message)
            if match and not match.group(1).lstrip().upper().startswith("SET "):
                statements.append([pid, match.group(1).strip(), {}])
        elif level == "DETAIL" and message.startswith("parameters:"):
            for st in reversed(statements):
                if st[0] == pid:
                    st[2] = dict(PARAM.findall(message))
                    break
    if not statements:
        sys.exit(f"no statements for database {database} in {path} after byte {offset}")
    print(f"-- {len(statements)} statement(s) captured from the service's PostgreSQL log")
    for _pid, sql, params in statements:
        sql = re.sub(r"\$(\d+)\b", lambda m: literal(params.get(m.group(1), m.group(0))), sql)
        print(sql.rstrip(";") + ";")


if __name__ == "__main__":
    main()
