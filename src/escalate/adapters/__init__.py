"""Adapters: pure functions between escalate and the systems that call it (no HTTP, no I/O).

Each module reads one system's documented payloads into escalate's inputs (a
:class:`~escalate.Ticket` with its event history) and writes a decision back as the payload that
system takes. Everything is strict: a payload that does not fit is a
:class:`~escalate.errors.TicketError` naming the field and the value, and nothing partial is
returned. See ``docs/integrations.md``.
"""

from __future__ import annotations
