"""One use case per module: takes ports, returns a result. No printing, no adapters."""
