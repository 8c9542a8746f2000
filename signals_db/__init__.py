"""signals_db: schema, migrations, the local-first SQLite store, its outbox and the MySQL sync."""
