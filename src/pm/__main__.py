"""`python -m pm` runs the same entry point as the `pm` script."""

from pm.cli.main import entry

if __name__ == "__main__":
    entry()
