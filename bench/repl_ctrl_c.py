"""Ctrl-C latency in the shell, in a real pseudo-terminal: drives `confluence-sql --demo`, starts a CPU-bound query
(a billion-row cross join), presses Ctrl-C once the line editor has handed the terminal back, and measures how long
until "query cancelled", then checks that the shell answers the next statement and quits cleanly.

    cargo build -p confluence-cli && python3 bench/repl_ctrl_c.py target/debug/confluence-sql
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "crates", "confluence-cli", "tests", "tty"))
from pty_shell import Shell  # noqa: E402

# A cross join of three page lists: billions of rows, far longer than the benchmark waits.
cancel_seconds, answer_seconds = Shell([sys.argv[1], "--demo"]).cancel_and_carry_on(
    b"SELECT count(*) FROM pages a, pages b, pages c;", 1.0
)
print(
    f"cancelled in {cancel_seconds:.2f} s; the next statement answered in {answer_seconds:.2f} s; the shell quit "
    "cleanly"
)
