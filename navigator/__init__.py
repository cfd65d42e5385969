"""Bradford Early Years Navigator: the domain core (no web, no HTTP)."""
