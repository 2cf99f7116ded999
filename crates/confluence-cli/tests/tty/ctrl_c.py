"""Drives the shell in a real pseudo-terminal: starts a slow query, presses Ctrl-C, and checks that the query is
cancelled, that the shell answers the next statement, and that it quits cleanly.

Usage: ctrl_c.py <binary> <connection string>. Prints "cancelled in X s" on success; exits non-zero with what the
terminal showed otherwise. Python's standard `pty` and `termios` modules are the only dependencies.
"""

import os
import pty
import select
import sys
import termios
import time

binary, connection = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.environ.pop("CONFLUENCE_SQL_CONNECTION", None)
    os.execv(binary, [binary, connection])

seen = b""


def fail(message: str) -> None:
    done, status = os.waitpid(pid, os.WNOHANG)
    state = f"exited with {os.waitstatus_to_exitcode(status)}" if done else "still running"
    if not done:
        os.kill(pid, 9)
    sys.exit(f"{message} (the shell is {state}); the terminal showed: {seen[-3000:]!r}")


def read_until(token: bytes, timeout: float) -> None:
    """Waits for `token`, consuming the output up to it; text that arrived with an earlier chunk counts."""
    global seen
    deadline = time.time() + timeout
    while time.time() < deadline:
        if token in seen:
            seen = seen[seen.index(token) + len(token):]
            return
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    fail(f"timed out waiting for {token!r}")


def wait_for_signals(timeout: float) -> None:
    """Waits until the line editor has handed the terminal back (cooked mode: Ctrl-C raises SIGINT); sent earlier,
    Ctrl-C would be a keystroke for the editor."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if termios.tcgetattr(fd)[3] & termios.ISIG:
            return
        time.sleep(0.02)
    fail("the line editor never handed the terminal back (ISIG stayed off)")


read_until(b"confluence> ", 120)
os.write(fd, b"SELECT count(*) FROM pages;\r")
wait_for_signals(60)
# Let the scan get going: its requests are slow, so it is surely still running.
time.sleep(0.5)
started = time.time()
os.write(fd, b"\x03")
read_until(b"query cancelled", 30)
cancel_seconds = time.time() - started
read_until(b"confluence> ", 30)
os.write(fd, b"SELECT 'answer-' || CAST(6 * 7 AS VARCHAR) AS answer;\r")
read_until(b"answer-42", 60)
read_until(b"confluence> ", 30)
os.write(fd, b"\\q\r")
_, status = os.waitpid(pid, 0)
if os.waitstatus_to_exitcode(status) != 0:
    fail(f"the shell exited with {os.waitstatus_to_exitcode(status)}")
print(f"cancelled in {cancel_seconds:.2f} s")
