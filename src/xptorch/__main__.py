"""`python -m xptorch ...`: the same as the `xptorch` command, for an interpreter where xptorch is on the path
but not installed."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
