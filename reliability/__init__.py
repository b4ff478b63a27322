"""The reliability campaign of ``apply`` (``make reliability``; docs/reliability.md).

Runs the real CLI in subprocesses against the simulator (and a hostile loopback server),
kills it, races it, injects faults, and checks what the tenant ends up with. A short seeded
slice of every part runs in ``make test`` (tests/reliability/).
"""
