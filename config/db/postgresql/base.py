"""Django's PostgreSQL backend with a health check that costs no round trip.

``CONN_HEALTH_CHECKS`` makes Django run ``SELECT 1`` before the first query of every request on a
persistent connection, so that a connection the server dropped between requests (a restart, an idle
timeout, ``pg_terminate_backend``) is replaced instead of failing the request. That is a second
round trip to PostgreSQL on every request, as costly as a learner read's own statement.

A connection the server dropped while it sat idle has told us so: the server sends its termination
notice and closes the socket, and an idle connection's socket has nothing else to read. So the check
here asks the kernel first (``poll`` with no timeout, no I/O): a quiet socket on a connection libpq
still calls open is usable, and only a socket with something to read (the notice, the close, or a
rare asynchronous message) gets Django's ``SELECT 1``, which closes the connection when it fails. A
peer that vanished without closing (no FIN: a network partition) is not seen by either check before
the query is sent; ``SELECT 1`` would have waited for the same TCP timeout.

``tests/reliability/test_faults.py`` terminates the worker's connection between requests and checks
every request still answers 200.
"""

import select

from django.db.backends.postgresql import base

_READABLE = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self):
        if self.connection is None or not self.health_check_enabled or self.health_check_done or self.pool:
            return super().close_if_health_check_failed()
        if self._idle_socket_is_quiet():
            self.health_check_done = True
            return
        super().close_if_health_check_failed()  # SELECT 1; closes the connection if it fails

    def _idle_socket_is_quiet(self) -> bool:
        conn = self.connection
        try:
            if conn.closed or conn.broken:
                return False
            poller = select.poll()
            poller.register(conn.fileno(), _READABLE)
            return not poller.poll(0)
        except Exception:  # any doubt: let the real check decide
            return False
