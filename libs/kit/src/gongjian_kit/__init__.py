"""Shared plumbing of the Gongjian services (共建服务公共组件).

Each service declares its schema, migrations, the events it publishes and the events it handles;
everything else (settings, database, outbox relay, idempotent consumers, auth, the ASGI app) lives
here once.
"""
