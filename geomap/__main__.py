"""`python -m geomap`: the geomap command."""

from geomap.cli import main

main()
