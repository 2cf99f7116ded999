"""Drives `confluence-sql --demo` in a real pseudo-terminal: starts a long query, presses Ctrl-C, and checks that
the query is cancelled, the shell survives and answers the next statement. Usage: ctrl_c.py <binary>."""

import os
import pty
import select
import sys
import time

binary = sys.argv[1]
pid, fd = pty.fork()
if pid == 0:
    os.environ.pop("CONFLUENCE_SQL_CONNECTION", None)
    os.execv(binary, [binary, "--demo"])

seen = b""


def read_until(token: bytes, timeout: float) -> None:
    global seen
    deadline = time.time() + timeout
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            seen += chunk
            if token in seen:
                seen = seen[seen.index(token) + len(token):]
                return
    sys.exit(f"timed out waiting for {token!r}; the terminal showed: {seen[-3000:]!r}")


read_until(b"confluence> ", 180)
# A cross join of three page lists: billions of rows, far longer than the test waits.
os.write(fd, b"SELECT count(*) FROM pages a, pages b, pages c;\r")
time.sleep(2.0)
started = time.time()
os.write(fd, b"\x03")
read_until(b"query cancelled", 30)
cancel_seconds = time.time() - started
read_until(b"confluence> ", 30)
asked = time.time()
os.write(fd, b"SELECT 6 * 7 AS answer;\r")
read_until(b"42", 60)
answer_seconds = time.time() - asked
read_until(b"confluence> ", 30)
os.write(fd, b"\\q\r")
_, status = os.waitpid(pid, 0)
if os.waitstatus_to_exitcode(status) != 0:
    sys.exit(f"the shell exited with {os.waitstatus_to_exitcode(status)}")
print(
    f"cancelled in {cancel_seconds:.2f} s; the next statement answered in {answer_seconds:.2f} s; the shell quit "
    "cleanly"
)
