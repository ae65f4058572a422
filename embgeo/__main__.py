"""``python -m embgeo`` runs the command line."""
from embgeo.cli.app import main

if __name__ == "__main__":  # pragma: no cover
    main()
