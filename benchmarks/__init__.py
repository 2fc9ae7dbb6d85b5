"""Benchmarks of flask-dotdigital at scale (issue 7): ``python -m benchmarks [--quick] [--only NAME]``.

Every scenario seeds its own data, drives the real sync, export, change tracking and admin code
against the sandbox on loopback, and measures a baseline in the same run, because the machine is
noisy and only the ratio means something. ``cli`` prints the table; BENCHMARKS.md holds one full run.
"""
