"""geomap: news articles about the war in Ukraine -> an offline map of incidents."""

__version__ = "0.1.0"
