"""Regrading a quiz's attempts: dry run, the batched run, the request that queues it."""
