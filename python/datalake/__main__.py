"""`python -m datalake` runs the command line."""

from datalake.cli import main

if __name__ == "__main__":
    main()
