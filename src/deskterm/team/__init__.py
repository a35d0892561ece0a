"""Team mode: several agents share one workspace through PostgreSQL, each on a local replica.

server: the shared schema and its statements; wire: events with global names instead of local
ids; apply: folding a pulled event into the replica through actions; replica: init, join, push,
pull and the watching loop; worker: each account run in one place, each reply sent once.
"""
