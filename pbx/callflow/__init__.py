"""Centrala's call logic with no I/O: events in, commands out.

Nothing in this package may import Django, httpx, websockets or asyncio (a test enforces it),
so every branch is tested as plain values, and the admin's "simulate a call" runs the very
code that handles live calls.
"""
