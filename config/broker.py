"""The Redis broker transport: kombu's, with one fix (kombu 5.7.0).

When the broker drops the connection while the worker holds messages it has not acknowledged yet
(``acks_late``), the consumer closes its channel and restores those messages. By then kombu has
already released the connection, so building a Redis client for the restore fails with
``AttributeError``. That is not a connection error, so nothing catches it and the worker exits
("Unrecoverable error") instead of reconnecting. This channel raises a ``ConnectionError``
instead, which kombu's close path already ignores. The worker then reconnects, and the messages
stay in Redis's unacknowledged set until the visibility timeout redelivers them, as after any
worker loss. ``tests/reliability/test_faults.py`` kills the broker under a worker holding
messages.

Settings select it for ``redis://`` and ``rediss://`` broker URLs (``CELERY_BROKER_TRANSPORT``)."""

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> dict:
        if self.connection.client is None:  # the connection is already released: nothing to reach
            raise RedisConnectionError("The broker connection is closed.")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel
