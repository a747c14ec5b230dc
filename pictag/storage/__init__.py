"""The local DuckDB store: schema migrations, batched writes, queries."""
