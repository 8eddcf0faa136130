"""Bundled gazetteer data, installed as geomap.gazetteer_data (see README.md here)."""
