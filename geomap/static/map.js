/* geomap: draws the basemap, the places and their incidents from the page's
 * JSON data, with filters by type, source and date. All article text is
 * inserted with textContent, never as HTML, and links are made only for
 * http(s) URLs.
 *
 * render() unpacks the data and calls createMap, which puts together:
 * drawBasemap (the offline basemap and the tile switcher), the place layers
 * (markerFor, areaFor, each with popupFor), filterPanel (legend and
 * filters, which call redraw) and summaryControl. */
var geomap = (function () {
  "use strict";

  var CLUSTER_ABOVE = 300;  // point places; fewer are drawn one by one
  var AREA_RADIUS_M = {water: 45000, raion: 15000, region: 60000, oblast: 40000};
  var SYMBOLS = {
    burst: '<polygon points="12,4 14,9.5 20,9 15.5,13 17.5,19 12,15.5 6.5,19 8.5,13 4,9 10,9.5" fill="#fff"/>',
    cross: '<path d="M8 8 L16 16 M16 8 L8 16" stroke="#fff" stroke-width="3"/>',
    triangle: '<polygon points="12,6 18,17 6,17" fill="#fff"/>',
    plus: '<path d="M12 6 V18 M6 12 H18" stroke="#fff" stroke-width="3"/>',
    bolt: '<polygon points="13,4 7,13 11,13 10,20 17,10 13,10" fill="#fff"/>',
    square: '<rect x="7.5" y="7.5" width="9" height="9" fill="#fff"/>',
    ring: '<circle cx="12" cy="12" r="4.5" fill="none" stroke="#fff" stroke-width="2.5"/>',
    dot: '<circle cx="12" cy="12" r="3" fill="#fff"/>'
  };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function safeUrl(url) {
    return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
  }

  /* An inline SVG symbol from trusted constants only (colours and shapes). */
  function symbolSvg(type, size, style) {
    var outline = style === "approximate" ? ' stroke-dasharray="3 2"' :
      style === "geocoded" ? ' stroke-dasharray="1.5 1.5"' : "";
    return '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="' + size +
      '" height="' + size + '"><circle cx="12" cy="12" r="10.5" fill="' + type.colour +
      '" stroke="' + (outline ? "#111" : "#fff") + '" stroke-width="1.5"' + outline + '/>' +
      SYMBOLS[type.symbol] + "</svg>";
  }

  /* The sentence as text nodes, with each occurrence of the place's names in <mark>. */
  function highlighted(sentence, names) {
    var span = el("span", "geomap-sentence");
    var ranges = [];
    names.forEach(function (name) {
      if (!name) return;
      for (var i = sentence.indexOf(name); i !== -1; i = sentence.indexOf(name, i + name.length)) {
        ranges.push([i, i + name.length]);
      }
    });
    ranges.sort(function (a, b) { return a[0] - b[0]; });
    var position = 0;
    ranges.forEach(function (range) {
      if (range[0] < position) return;
      span.appendChild(document.createTextNode(sentence.slice(position, range[0])));
      span.appendChild(el("mark", null, sentence.slice(range[0], range[1])));
      position = range[1];
    });
    span.appendChild(document.createTextNode(sentence.slice(position)));
    return span;
  }

  function linkTo(doc) {
    var url = doc.link_is_url ? safeUrl(doc.link) : null;
    if (!url) return el("span", "geomap-file", doc.link);
    var a = el("a", null, url);
    a.href = url;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }

  /* What the filters let through: every type and source, and the whole date range. */
  function initialFilters(data) {
    // Keyed by text from the articles: objects without a prototype, so that
    // a source called "__proto__" is just a source.
    var filters = {types: Object.create(null), sources: Object.create(null),
                   from: data.summary.first, to: data.summary.last};
    data.type_order.forEach(function (t) { filters.types[t] = true; });
    data.sources.forEach(function (s) { filters.sources[s] = true; });
    return filters;
  }

  function sourceOf(data, report) {
    return data.documents[report.doc].source || "unknown source";
  }

  function visibleIncidents(place, data, filters) {
    return place.incidents.filter(function (incident) {
      // Shown while any of its types is switched on.
      if (!incident.types.some(function (t) { return filters.types[t]; })) return false;
      if (!incident.reports.some(function (r) { return filters.sources[sourceOf(data, r)]; })) {
        return false;
      }
      if (incident.date && filters.from && incident.date < filters.from) return false;
      if (incident.date && filters.to && incident.date > filters.to) return false;
      return true;
    });
  }

  /* Killed and injured added up over incidents, as reported: "12 killed, 30 injured". */
  var TOTALLED = ["killed", "injured"];
  function totals(incidents) {
    var sums = {};
    incidents.forEach(function (incident) {
      TOTALLED.forEach(function (what) {
        if (incident.counts[what]) sums[what] = (sums[what] || 0) + incident.counts[what];
      });
    });
    return TOTALLED.filter(function (what) { return sums[what]; })
      .map(function (what) { return sums[what] + " " + what; }).join(", ");
  }

  /* One report: the sentence, then its article's source, date, title and link. */
  function reportQuote(report, data) {
    var doc = data.documents[report.doc];
    var quote = el("div", "geomap-report");
    quote.appendChild(highlighted(report.sentence, report.names));
    var meta = el("div", "geomap-meta");
    meta.appendChild(el("span", "geomap-source", doc.source || "unknown source"));
    meta.appendChild(document.createTextNode(" · " + (doc.date || "undated")));
    meta.appendChild(el("div", "geomap-title", doc.title));
    meta.appendChild(linkTo(doc));
    if (doc.link_is_url && doc.file) meta.appendChild(el("div", "geomap-file", doc.file));
    quote.appendChild(meta);
    return quote;
  }

  /* One incident: its types, date and counts, then every report of it. */
  function incidentItem(incident, data) {
    var item = el("li", "geomap-incident");
    var head = el("div", "geomap-head");
    incident.types.forEach(function (t) {
      var badge = el("span", "geomap-type", data.types[t].label);
      badge.style.background = data.types[t].colour;
      head.appendChild(badge);
    });
    head.appendChild(el("span", "geomap-date", incident.date ?
      incident.date + (incident.date_source === "document" ? "" : " (" + incident.date_source + ")") :
      "undated"));
    Object.keys(incident.counts).sort().forEach(function (what) {
      /* The words each number was read from, beside it, so a reader can check it. */
      var count = el("span", "geomap-count", incident.counts[what] + " " + what);
      var words = (incident.evidence || {})[what];
      if (words) count.title = "read from: " + words;
      head.appendChild(count);
      if (words) head.appendChild(el("q", "geomap-evidence", words));
    });
    item.appendChild(head);
    incident.reports.forEach(function (report) { item.appendChild(reportQuote(report, data)); });
    return item;
  }

  /* A place's popup: its name, kind and oblast, then the incidents the filters let through. */
  function popupFor(place, data, filters) {
    var box = el("div", "geomap-popup");
    box.appendChild(el("div", "geomap-place", place.name));
    var where = [place.kind, place.admin1, place.country].filter(Boolean).join(", ");
    if (place.located_by === "geocoder") where += " · located by the fallback geocoder";
    if (place.located_by === "approximate") where += " · not named in the text; approximate position";
    box.appendChild(el("div", "geomap-where", where));
    var visible = visibleIncidents(place, data, filters);
    var total = totals(visible);
    if (total) box.appendChild(el("div", "geomap-total", "Reported here: " + total));
    var list = el("ol", "geomap-incidents");
    visible.forEach(function (incident) {
      list.appendChild(incidentItem(incident, data));
    });
    box.appendChild(list);
    if (place.more) {
      box.appendChild(el("div", "geomap-more", "… and " + place.more +
        " older incidents: see the GeoJSON for every one."));
    }
    return box;
  }

  /* A place standing for an area: an oblast as its outline, others as a circle. */
  function areaFor(place, colour, oblastShapes) {
    var options = {color: colour, weight: 2, dashArray: "5 4", fillColor: colour,
                   fillOpacity: 0.15, className: "geomap-area"};
    var shape = place.kind === "oblast" && oblastShapes[place.name];
    if (shape) return L.geoJSON(shape, {style: function () { return options; }});
    return L.circle([place.lat, place.lon],
                    L.extend({radius: AREA_RADIUS_M[place.kind] || 30000}, options));
  }

  /* A place's marker: its dominant type's symbol, sized by its incidents. */
  function markerFor(place, type, incidents) {
    var size = Math.round(18 + Math.min(incidents, 30) * 0.8);
    return L.marker([place.lat, place.lon], {
      icon: L.divIcon({html: symbolSvg(type, size, place.style), iconSize: [size, size],
                       className: "geomap-marker geomap-" + place.style}),
      keyboard: true, title: place.name
    });
  }

  /* Basemap, always drawn: neighbours, Ukraine, oblasts and their names. */
  function drawBasemap(map, basemap) {
    map.createPane("geomap-basemap").style.zIndex = 250;
    L.geoJSON(basemap.countries, {pane: "geomap-basemap", interactive: false,
      style: {color: "#b3b3b3", weight: 1, fillColor: "#ececec", fillOpacity: 1}}).addTo(map);
    L.geoJSON(basemap.ukraine, {pane: "geomap-basemap", interactive: false,
      style: {color: "#4d4d4d", weight: 2, fillColor: "#fbfaf6", fillOpacity: 1}}).addTo(map);
    L.geoJSON(basemap.oblasts, {pane: "geomap-basemap", interactive: false,
      style: {color: "#9c9c9c", weight: 0.8, fill: false}}).addTo(map);
    var labels = L.layerGroup(basemap.oblasts.features.map(function (f) {
      return L.marker(f.properties.label, {interactive: false, keyboard: false,
        icon: L.divIcon({className: "geomap-label", html: "", iconSize: null})})
        .on("add", function () { this.getElement().textContent = f.properties.name; });
    }));
    function showLabels() {
      if (map.getZoom() >= 6) labels.addTo(map); else labels.remove();
    }
    map.on("zoomend", showLabels);
    showLabels();
  }

  /* The layer switcher: the offline basemap or OpenStreetMap tiles, and the heatmap if any. */
  function addLayerSwitcher(map, heatLayer, attribution) {
    var tiles = L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
      {maxZoom: 19, attribution: "tiles © OpenStreetMap contributors", opacity: 0.85});
    L.control.layers({"Offline basemap": L.layerGroup().addTo(map),
                      "OpenStreetMap tiles (online)": tiles},
                     heatLayer ? {"Heatmap of incidents": heatLayer} : null,
                     {position: "topleft", collapsed: true}).addTo(map);
    map.attributionControl.addAttribution(attribution);
  }

  /* The panel at the top right, legend and filter in one: a checkbox per
   * incident type and source, the date range, and the place styles. */
  function filterPanel(data, filters, redraw) {
    var panel = L.control({position: "topright"});
    panel.onAdd = function () {
      var box = el("div", "geomap-panel leaflet-control");
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      box.appendChild(el("div", "geomap-panel-title", "Incident types"));
      /* A checkbox row that switches one layer (a type or a source) on and off. */
      function layerRow(group, value, label, swatch) {
        var row = el("label", "geomap-row");
        var checkbox = el("input");
        checkbox.type = "checkbox"; checkbox.checked = true;
        checkbox.name = group === "types" ? "type" : "source"; checkbox.value = value;
        checkbox.addEventListener("change", function () {
          filters[group][value] = checkbox.checked;
          redraw();
        });
        row.appendChild(checkbox);
        if (swatch) row.appendChild(swatch);
        row.appendChild(el("span", null, label));
        box.appendChild(row);
      }
      data.type_order.forEach(function (t) {
        var swatch = el("span", "geomap-swatch");
        swatch.innerHTML = symbolSvg(data.types[t], 16, "point");
        layerRow("types", t, data.types[t].label, swatch);
      });
      box.appendChild(el("div", "geomap-panel-title", "Sources"));
      data.sources.forEach(function (s) { layerRow("sources", s, s, null); });
      if (data.summary.first) {
        box.appendChild(el("div", "geomap-panel-title", "Dates"));
        ["from", "to"].forEach(function (end) {
          var row = el("label", "geomap-row", end + " ");
          var input = el("input");
          input.type = "date"; input.name = end; input.value = filters[end];
          input.min = data.summary.first; input.max = data.summary.last;
          input.addEventListener("change", function () { filters[end] = input.value; redraw(); });
          row.appendChild(input);
          box.appendChild(row);
        });
      }
      box.appendChild(el("div", "geomap-panel-title", "Places"));
      data.style_order.forEach(function (style) {
        var row = el("div", "geomap-row");
        var swatch = el("span", "geomap-style geomap-style-" + style);
        row.appendChild(swatch);
        row.appendChild(el("span", null, data.place_styles[style]));
        box.appendChild(row);
      });
      box.appendChild(el("div", "geomap-note", "Killed and injured are numbers as the " +
        "articles report them, read by a program, not verified: each is shown with the " +
        "words it was read from."));
      return box;
    };
    return panel;
  }

  /* The summary at the bottom left, showing `text`. */
  function summaryControl(text) {
    var summary = L.control({position: "bottomleft"});
    summary.onAdd = function () {
      var box = el("div", "geomap-summary leaflet-control");
      box.id = "geomap-summary";
      box.appendChild(el("b", null, "geomap: "));
      box.appendChild(text);
      return box;
    };
    return summary;
  }

  function summaryLine(summary, places, incidents, total) {
    return summary.documents + " documents · " + places + " places · " + incidents +
      " incidents" + (total ? " · " + total + " (as reported, not verified)" : "") +
      (summary.first ? " · " + summary.first + " – " + summary.last : "") +
      (summary.aggregated ? " · large result: each place shows its " + summary.aggregated +
        " newest incidents here, all of them in the GeoJSON; the heatmap counts them all" : "");
  }

  function createMap(map, data) {
    var filters = initialFilters(data);
    var points = data.places.filter(function (p) { return p.style !== "area"; });
    var pointLayer = points.length > CLUSTER_ABOVE ?
      L.markerClusterGroup({chunkedLoading: true, maxClusterRadius: 50}) : L.layerGroup();
    var areaLayer = L.layerGroup();
    // Large results: a heatmap of incidents by place, under the markers.
    var heatLayer = data.summary.aggregated ?
      L.heatLayer([], {radius: 25, blur: 20, minOpacity: 0.35, maxZoom: 10}) : null;
    var oblastShapes = Object.create(null);  // looked up by places' names
    data.basemap.oblasts.features.forEach(function (f) { oblastShapes[f.properties.name] = f; });
    var summaryText = el("span");

    /* Every place with an incident the filters let through, and the summary. */
    function redraw() {
      pointLayer.clearLayers();
      areaLayer.clearLayers();
      var shownPlaces = 0, shownIncidents = 0, heat = [], counted = [];
      data.places.forEach(function (place) {
        var visible = visibleIncidents(place, data, filters);
        if (!visible.length) return;
        counted = counted.concat(visible);
        shownPlaces += 1;
        // The older incidents a place does not carry count in the same
        // proportion as the filters let its carried ones through.
        var weight = visible.length +
          Math.round((place.more || 0) * visible.length / place.incidents.length);
        shownIncidents += weight;
        if (place.style !== "area") heat.push([place.lat, place.lon, weight]);
        var type = data.types[place.type];
        var layer;
        if (place.style === "area") {
          layer = areaFor(place, type.colour, oblastShapes);
          layer.addTo(areaLayer);
        } else {
          layer = markerFor(place, type, visible.length);
          pointLayer.addLayer(layer);
        }
        layer.bindTooltip(el("span", null, place.name + " (" + visible.length + ")"));
        layer.bindPopup(function () { return popupFor(place, data, filters); },
                        {maxWidth: 440, minWidth: 280});
      });
      if (heatLayer) heatLayer.setLatLngs(heat);
      summaryText.textContent = summaryLine(data.summary, shownPlaces, shownIncidents,
                                            totals(counted));
    }

    drawBasemap(map, data.basemap);
    addLayerSwitcher(map, heatLayer, data.attribution);
    if (heatLayer) heatLayer.addTo(map);
    areaLayer.addTo(map);
    pointLayer.addTo(map);
    filterPanel(data, filters, redraw).addTo(map);
    summaryControl(summaryText).addTo(map);
    redraw();
  }

  /* The page's data: gzip'd JSON in base64, unpacked by the browser. */
  function unpack(node) {
    var binary = atob(node.textContent.trim());
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }

  function render(map, node) {
    map.setMinZoom(3);
    map.setMaxZoom(18);  // clustering needs a bound
    return unpack(node).then(function (data) { createMap(map, data); });
  }

  return {render: render};
})();
