/* geomap: draws the basemap, the places and their incidents from the page's
 * JSON data, with filters by type, source and date. All article text is
 * inserted with textContent, never as HTML, and links are made only for
 * http(s) URLs. */
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

  function createMap(map, data) {
    var state = {types: {}, sources: {}, from: data.summary.first, to: data.summary.last};
    data.type_order.forEach(function (t) { state.types[t] = true; });
    data.sources.forEach(function (s) { state.sources[s] = true; });

    function sourceOf(report) { return data.documents[report.doc].source || "unknown source"; }

    function visibleIncidents(place) {
      return place.incidents.filter(function (incident) {
        if (!state.types[incident.types[0]]) return false;  // its layer: the main type
        if (!incident.reports.some(function (r) { return state.sources[sourceOf(r)]; })) return false;
        if (incident.date && state.from && incident.date < state.from) return false;
        if (incident.date && state.to && incident.date > state.to) return false;
        return true;
      });
    }

    function popup(place) {
      var box = el("div", "geomap-popup");
      box.appendChild(el("div", "geomap-place", place.name));
      var where = [place.kind, place.admin1, place.country].filter(Boolean).join(", ");
      if (place.located_by === "geocoder") where += " · located by the fallback geocoder";
      if (place.located_by === "approximate") where += " · not named in the text; approximate position";
      box.appendChild(el("div", "geomap-where", where));
      var list = el("ol", "geomap-incidents");
      visibleIncidents(place).forEach(function (incident) {
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
          head.appendChild(el("span", "geomap-count", incident.counts[what] + " " + what));
        });
        item.appendChild(head);
        incident.reports.forEach(function (report) {
          var doc = data.documents[report.doc];
          var quote = el("div", "geomap-report");
          quote.appendChild(highlighted(report.sentence, report.names));
          var meta = el("div", "geomap-meta");
          meta.appendChild(el("span", "geomap-source", doc.source || "unknown source"));
          meta.appendChild(document.createTextNode(" · " + (doc.date || "undated")));
          meta.appendChild(el("div", "geomap-title", doc.title));
          meta.appendChild(linkTo(doc));
          quote.appendChild(meta);
          item.appendChild(quote);
        });
        list.appendChild(item);
      });
      box.appendChild(list);
      if (place.more) {
        box.appendChild(el("div", "geomap-more", "… and " + place.more +
          " older incidents: see the GeoJSON for every one."));
      }
      return box;
    }

    var points = data.places.filter(function (p) { return p.style !== "area"; });
    var pointLayer = points.length > CLUSTER_ABOVE ?
      L.markerClusterGroup({chunkedLoading: true, maxClusterRadius: 50}) : L.layerGroup();
    var areaLayer = L.layerGroup();
    // Large results: a heatmap of incidents by place, under the markers.
    var heatLayer = data.summary.aggregated ?
      L.heatLayer([], {radius: 25, blur: 20, minOpacity: 0.35, maxZoom: 10}) : null;
    var oblastShapes = {};
    data.basemap.oblasts.features.forEach(function (f) { oblastShapes[f.properties.name] = f; });

    function areaFor(place, colour) {
      var options = {color: colour, weight: 2, dashArray: "5 4", fillColor: colour,
                     fillOpacity: 0.15, className: "geomap-area"};
      var shape = place.kind === "oblast" && oblastShapes[place.name];
      if (shape) return L.geoJSON(shape, {style: function () { return options; }});
      return L.circle([place.lat, place.lon],
                      L.extend({radius: AREA_RADIUS_M[place.kind] || 30000}, options));
    }

    function redraw() {
      pointLayer.clearLayers();
      areaLayer.clearLayers();
      var shownPlaces = 0, shownIncidents = 0, heat = [];
      data.places.forEach(function (place) {
        var visible = visibleIncidents(place);
        if (!visible.length) return;
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
          layer = areaFor(place, type.colour);
          layer.addTo(areaLayer);
        } else {
          var size = Math.round(18 + Math.min(visible.length, 30) * 0.8);
          layer = L.marker([place.lat, place.lon], {
            icon: L.divIcon({html: symbolSvg(type, size, place.style), iconSize: [size, size],
                             className: "geomap-marker geomap-" + place.style}),
            keyboard: true, title: place.name
          });
          pointLayer.addLayer(layer);
        }
        layer.bindTooltip(el("span", null, place.name + " (" + visible.length + ")"));
        layer.bindPopup(function () { return popup(place); }, {maxWidth: 440, minWidth: 280});
      });
      if (heatLayer) heatLayer.setLatLngs(heat);
      summaryText.textContent = data.summary.documents + " documents · " + shownPlaces +
        " places · " + shownIncidents + " incidents" +
        (data.summary.first ? " · " + data.summary.first + " – " + data.summary.last : "") +
        (data.summary.aggregated ? " · large result: each place shows its " +
          data.summary.aggregated + " newest incidents here, all of them in the GeoJSON;" +
          " the heatmap counts them all" : "");
    }

    /* Basemap, always drawn: neighbours, Ukraine, oblasts and their names. */
    map.createPane("geomap-basemap").style.zIndex = 250;
    L.geoJSON(data.basemap.countries, {pane: "geomap-basemap", interactive: false,
      style: {color: "#b3b3b3", weight: 1, fillColor: "#ececec", fillOpacity: 1}}).addTo(map);
    L.geoJSON(data.basemap.ukraine, {pane: "geomap-basemap", interactive: false,
      style: {color: "#4d4d4d", weight: 2, fillColor: "#fbfaf6", fillOpacity: 1}}).addTo(map);
    L.geoJSON(data.basemap.oblasts, {pane: "geomap-basemap", interactive: false,
      style: {color: "#9c9c9c", weight: 0.8, fill: false}}).addTo(map);
    var labels = L.layerGroup(data.basemap.oblasts.features.map(function (f) {
      return L.marker(f.properties.label, {interactive: false, keyboard: false,
        icon: L.divIcon({className: "geomap-label", html: "", iconSize: null})})
        .on("add", function () { this.getElement().textContent = f.properties.name; });
    }));
    function showLabels() {
      if (map.getZoom() >= 6) labels.addTo(map); else labels.remove();
    }
    map.on("zoomend", showLabels);
    showLabels();

    var tiles = L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
      {maxZoom: 19, attribution: "tiles © OpenStreetMap contributors", opacity: 0.85});
    L.control.layers({"Offline basemap": L.layerGroup().addTo(map),
                      "OpenStreetMap tiles (online)": tiles},
                     heatLayer ? {"Heatmap of incidents": heatLayer} : null,
                     {position: "topleft", collapsed: true}).addTo(map);
    map.attributionControl.addAttribution(data.attribution);

    if (heatLayer) heatLayer.addTo(map);
    areaLayer.addTo(map);
    pointLayer.addTo(map);

    /* The filter panel doubles as the legend. */
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
          state[group][value] = checkbox.checked;
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
          input.type = "date"; input.name = end; input.value = state[end];
          input.min = data.summary.first; input.max = data.summary.last;
          input.addEventListener("change", function () { state[end] = input.value; redraw(); });
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
      return box;
    };
    panel.addTo(map);

    var summaryText = el("span");
    var summary = L.control({position: "bottomleft"});
    summary.onAdd = function () {
      var box = el("div", "geomap-summary leaflet-control");
      box.id = "geomap-summary";
      box.appendChild(el("b", null, "geomap: "));
      box.appendChild(summaryText);
      return box;
    };
    summary.addTo(map);
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
