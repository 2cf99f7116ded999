"""Drives `confluence-sql` in a real pseudo-terminal (Python's standard `pty` and `termios` only), for the Ctrl-C
test (`ctrl_c.py`) and benchmark (`bench/repl_ctrl_c.py`)."""

import os
import pty
import select
import sys
import termios
import time


class Shell:
    """The shell running in a pseudo-terminal, and what it has printed that nobody has waited for yet."""

    def __init__(self, argv):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.environ.pop("CONFLUENCE_SQL_CONNECTION", None)
            os.execv(argv[0], argv)
        self.seen = b""

    def fail(self, message):
        done, status = os.waitpid(self.pid, os.WNOHANG)
        state = f"exited with {os.waitstatus_to_exitcode(status)}" if done else "still running"
        if not done:
            os.kill(self.pid, 9)
        sys.exit(f"{message} (the shell is {state}); the terminal showed: {self.seen[-3000:]!r}")

    def read_until(self, token, timeout):
        """Waits for `token`, consuming the output up to it; text that arrived with an earlier chunk counts."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if token in self.seen:
                self.seen = self.seen[self.seen.index(token) + len(token):]
                return
            ready, _, _ = select.select([self.fd], [], [], 0.1)
            if ready:
                try:
                    self.seen += os.read(self.fd, 65536)
                except OSError:
                    break
        self.fail(f"timed out waiting for {token!r}")

    def wait_for_signals(self, timeout):
        """Waits until the line editor has handed the terminal back (cooked mode: Ctrl-C raises SIGINT); sent
        earlier, Ctrl-C would be a keystroke for the editor."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if termios.tcgetattr(self.fd)[3] & termios.ISIG:
                return
            time.sleep(0.02)
        self.fail("the line editor never handed the terminal back (ISIG stayed off)")

    def type(self, text):
        os.write(self.fd, text)

    def quit(self):
        """`\\q`, then checks the shell exited cleanly."""
        self.type(b"\\q\r")
        _, status = os.waitpid(self.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            self.fail(f"the shell exited with {os.waitstatus_to_exitcode(status)}")

    def cancel_and_carry_on(self, statement, settle):
        """Runs `statement`, presses Ctrl-C `settle` seconds after the editor handed the terminal back, checks the
        shell cancels it and answers the next statement; returns (seconds to cancel, seconds to answer)."""
        self.read_until(b"confluence> ", 180)
        self.type(statement + b"\r")
        self.wait_for_signals(120)
        time.sleep(settle)
        started = time.time()
        self.type(b"\x03")
        self.read_until(b"query cancelled", 30)
        cancel_seconds = time.time() - started
        self.read_until(b"confluence> ", 30)
        asked = time.time()
        self.type(b"SELECT 'answer-' || CAST(6 * 7 AS VARCHAR) AS answer;\r")
        self.read_until(b"answer-42", 180)
        answer_seconds = time.time() - asked
        self.read_until(b"confluence> ", 30)
        self.quit()
        return cancel_seconds, answer_seconds
