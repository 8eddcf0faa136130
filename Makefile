# The two commands of the README: `make map` builds the sample map, `make test`
# runs the whole suite. Both create .venv and install geomap into it first;
# `make lint` runs the lint and type gate.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SHARED ?= ../shared

.PHONY: map test lint gazetteer gazetteer-check basemap basemap-check clean

map: $(VENV)/.installed
	$(BIN)/geomap build seeds/

test: $(VENV)/.installed
	$(BIN)/python -m pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check geomap tests benchmarks gazetteer basemap
	$(BIN)/mypy

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dask,gazetteer,lint]'
	touch $@

# Rebuild the bundled gazetteer (geomap/data/places.tsv.gz) from the GeoNames dumps.
gazetteer: $(VENV)/.installed
	$(BIN)/python gazetteer/build.py --ua $(SHARED)/data/geonames/UA.zip \
		--no-country $(SHARED)/data/geonames/no-country.txt

# Check that the committed gazetteer is exactly what the build script makes.
gazetteer-check: gazetteer
	git diff --exit-code --stat -- geomap/data/places.tsv.gz geomap/data/common_words.txt \
		geomap/data/english_words.txt

# Rebuild the offline basemap from the boundary files.
basemap: $(VENV)/.installed
	$(BIN)/python basemap/build.py --adm1 $(SHARED)/data/basemap/ukraine_adm1.geojson \
		--adm0 $(SHARED)/data/basemap/ukraine_adm0.geojson \
		--countries $(SHARED)/data/basemap/region_countries.geojson

basemap-check: basemap
	git diff --exit-code --stat -- geomap/data/basemap.json

clean:
	rm -rf $(VENV) output/*.html output/*.geojson
