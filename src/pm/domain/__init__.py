"""Pure logic and value types: no I/O, no clock reads, no environment."""
