"""Bradford Early Years Navigator.

`core` is the pure domain, `db` its persistence, `settings` the configuration; `app`, `serve`
and `cli` are the outer shell that joins them to the API and the pages (see ARCHITECTURE.md).
"""
