"""The embgeo command line (installed as ``embgeo.cli``): parse, call the library, render, exit."""
