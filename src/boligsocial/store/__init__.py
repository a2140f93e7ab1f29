"""The DuckDB database a load writes and every read comes from: its schema, the copy a load
works on and swaps in (`database`), and what a database holds at a glance (`summary`)."""
