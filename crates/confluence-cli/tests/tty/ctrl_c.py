"""Drives the shell in a real pseudo-terminal: starts a slow query, presses Ctrl-C, and checks that the query is
cancelled, that the shell answers the next statement, and that it quits cleanly.

Usage: ctrl_c.py <binary> <connection string>. Prints "cancelled in X s" on success; exits non-zero with what the
terminal showed otherwise.
"""

import sys

from pty_shell import Shell

binary, connection = sys.argv[1], sys.argv[2]
# The scan's requests are slow, so half a second after it starts it is surely still running.
cancel_seconds, _ = Shell([binary, connection]).cancel_and_carry_on(b"SELECT count(*) FROM pages;", 0.5)
print(f"cancelled in {cancel_seconds:.2f} s")
