"""Django's PostgreSQL backend, with a pool health check that skips connections proven moments ago.

With Django's pool and ``CONN_HEALTH_CHECKS``, every connection borrowed from the pool is checked
with a round trip to the server before use. On the webhook path (one INSERT per request) that
check is a third of the database work of the request, and a connection that was returned to the
pool a moment ago was working a moment ago. So only connections that sat idle for longer than
``DATABASE_POOL_CHECK_AFTER_IDLE`` seconds are checked: after a quiet spell (or a database restart
during one) every connection is checked before use, as Django does. When a connection breaks
while traffic is flowing (a restart under load), the statement that meets it fails; returning
the broken connection then checks every idle one, so the pool is rid of the dead ones at once,
and the webhook path retries its INSERT once (``inbox/ingest/intake.py``).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.backends.postgresql import base


def _returned_at(conn) -> float:
    return getattr(conn, "parley_returned_at", 0.0)


def check_if_idle(conn) -> None:
    """psycopg_pool's ``check`` callback: raise if an idle connection no longer works."""
    idle_for = time.monotonic() - _returned_at(conn)
    if idle_for >= settings.DATABASE_POOL_CHECK_AFTER_IDLE:
        conn.execute("")


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self):
        # Django 5.2's property, with ``check`` replaced; kept in step with Django's own.
        pool_options = self.settings_dict["OPTIONS"].get("pool")
        if self.alias == base.NO_DB_ALIAS or not pool_options:
            return None
        if self.alias not in self._connection_pools:
            if self.settings_dict.get("CONN_MAX_AGE", 0) != 0:
                raise ImproperlyConfigured("Pooling doesn't support persistent connections.")
            if pool_options is True:
                pool_options = {}
            from psycopg_pool import ConnectionPool

            connect_kwargs = self.get_connection_params()
            connect_kwargs["autocommit"] = True
            checks = self.settings_dict["CONN_HEALTH_CHECKS"]
            pool = ConnectionPool(
                kwargs=connect_kwargs,
                open=False,
                configure=self._configure_connection,
                check=check_if_idle if checks else None,
                **pool_options,
            )
            self._connection_pools.setdefault(self.alias, pool)
        return self._connection_pools[self.alias]

    def _close(self):
        conn, broken = self.connection, False
        if conn is not None and self.pool:
            conn.parley_returned_at = time.monotonic()
            broken = conn.broken
        result = super()._close()
        if broken:  # its siblings died with it, most likely: check them all now
            self.pool.check()
        return result
