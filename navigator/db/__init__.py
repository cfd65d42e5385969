"""Persistence: tables, migrations, the one write path, seed loading and start-up."""
