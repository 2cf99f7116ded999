"""Ctrl-C latency in the shell, in a real pseudo-terminal: drives `confluence-sql --demo`, starts a CPU-bound query
(a billion-row cross join), presses Ctrl-C once the line editor has handed the terminal back, and measures how long
until "query cancelled", then checks that the shell answers the next statement and quits cleanly.

    cargo build -p confluence-cli && python3 bench/repl_ctrl_c.py target/debug/confluence-sql
"""

import os
import pty
import select
import sys
import termios
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
        if token in seen:
            seen = seen[seen.index(token) + len(token):]
            return
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
    done, status = os.waitpid(pid, os.WNOHANG)
    state = f"exited with {os.waitstatus_to_exitcode(status)}" if done else "still running"
    sys.exit(f"timed out waiting for {token!r} (the shell is {state}); the terminal showed: {seen[-3000:]!r}")


def signals_enabled() -> bool:
    """Whether the terminal turns Ctrl-C into SIGINT (off while the line editor reads a line in raw mode)."""
    return bool(termios.tcgetattr(fd)[3] & termios.ISIG)


def wait_for_signals(timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if signals_enabled():
            return
        time.sleep(0.05)
    sys.exit("the line editor never handed the terminal back (ISIG stayed off)")


read_until(b"confluence> ", 180)
# A cross join of three page lists: billions of rows, far longer than the test waits.
os.write(fd, b"SELECT count(*) FROM pages a, pages b, pages c;\r")
# The line editor has returned the statement once the terminal is back in cooked mode: the query is running and
# Ctrl-C now raises SIGINT (sent earlier, it would be a keystroke for the editor).
wait_for_signals(120)
time.sleep(1.0)
started = time.time()
os.write(fd, b"\x03")
read_until(b"query cancelled", 30)
cancel_seconds = time.time() - started
read_until(b"confluence> ", 30)
asked = time.time()
os.write(fd, b"SELECT 'answer-' || CAST(6 * 7 AS VARCHAR) AS answer;\r")
read_until(b"answer-42", 180)
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
