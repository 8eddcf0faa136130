/* The map: draws the basemap, the places and their incidents from the
 * page's JSON data, and wires the panel, the search box, the URL and the
 * keyboard to it.
 *
 * render() unpacks the data and calls createMap, which puts together:
 * drawBasemap and addLayerSwitcher (basemap.js), the place layers (markerFor
 * in a cluster group that spreads markers that would cover each other,
 * areaFor), each with popupFor (popups.js), filterPanel (panel.js, with the
 * date window of timeline.js), searchControl (search.js) and the summary;
 * redraw() shows what the filters (filters.js) let through and keeps the
 * URL (viewstate.js) in step. */
(function (g) {
  "use strict";
  var el = g.el;

  var AREA_RADIUS_M = {water: 45000, raion: 15000, region: 60000, oblast: 40000};
  // Markers closer than this (px) are one cluster: the largest marker is 42 px,
  // so no marker's centre lies under another marker.
  var CLUSTER_RADIUS_PX = 32;
  var SEARCH_ZOOM = 10;
  // What a phone shows first: all of Ukraine (the page's own view is wider).
  var UKRAINE_BOUNDS = [[44.3, 22.1], [52.4, 40.2]];
  var POPUP_MAX_WIDTH_PX = 440;
  var POPUP_MIN_WIDTH_PX = 240;
  var POPUP_MAX_HEIGHT_PX = 520;
  var EDGE_PX = 8;  // kept between a popup and the map's edge or a control
  var POPUP_CHROME_PX = 56;  // a popup's padding, close button and tip
  var MARKER_ALLOWANCE_PX = 26;  // below the tip: the marker, kept clear of controls

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
    var marker = L.marker([place.lat, place.lon], {
      icon: L.divIcon({html: g.symbolSvg(type, size, place.style), iconSize: [size, size],
                       popupAnchor: [0, -size / 2],
                       className: "geomap-marker geomap-" + place.style}),
      keyboard: true, title: place.name
    });
    marker.on("add", function () {
      marker.getElement().setAttribute("aria-label", place.name + ": " + incidents +
        (incidents === 1 ? " incident" : " incidents") + ", " + type.label);
    });
    return marker;
  }

  /* A cluster's icon: how many places it holds, and what pressing it does. */
  function clusterIcon(cluster) {
    var count = cluster.getChildCount();
    var size = count < 10 ? "small" : count < 100 ? "medium" : "large";
    return L.divIcon({html: "<div><span>" + count + '</span><span class="geomap-sr"> places ' +
                            "here: press to show them</span></div>",
                      className: "marker-cluster marker-cluster-" + size, iconSize: [40, 40]});
  }

  /* Where a popup may lie: clear of every control, the marker below it too. */
  function popupLayout(map, panel) {
    var box = map.getContainer().getBoundingClientRect();
    function extent(corner, edge) {
      var most = 0;
      map.getContainer().querySelectorAll(corner + " > .leaflet-control").forEach(function (c) {
        var r = c.getBoundingClientRect();
        if (r.width && r.height) {
          most = Math.max(most, edge === "bottom" ? r.bottom - box.top : box.bottom - r.top);
        }
      });
      return most;
    }
    var panelOpen = !panel.folded();
    var panelWidth = panelOpen ? box.right - panel.getContainer().getBoundingClientRect().left : 0;
    var top = Math.max(extent(".leaflet-top.leaflet-left", "bottom"),
                       panelOpen ? 0 : extent(".leaflet-top.leaflet-right", "bottom")) + EDGE_PX;
    var bottom = Math.max(extent(".leaflet-bottom.leaflet-left", "top"),
                          extent(".leaflet-bottom.leaflet-right", "top")) +
      EDGE_PX + MARKER_ALLOWANCE_PX;
    var right = panelWidth + EDGE_PX;
    var width = Math.max(120, Math.min(POPUP_MAX_WIDTH_PX, box.width - EDGE_PX - right -
                                       POPUP_CHROME_PX));
    return {maxWidth: width, minWidth: Math.min(POPUP_MIN_WIDTH_PX, width),
            maxHeight: Math.max(120, Math.min(POPUP_MAX_HEIGHT_PX,
                                              box.height - top - bottom - POPUP_CHROME_PX)),
            autoPanPaddingTopLeft: [EDGE_PX, top], autoPanPaddingBottomRight: [right, bottom]};
  }

  /* Enter or Space on a marker or a cluster presses it, Escape closes the
   * popup; the popup takes the focus when it opens and gives it back. */
  function keyboardUse(map) {
    var opener = null;
    map.getContainer().addEventListener("keydown", function (event) {
      var target = event.target;
      var pressable = target.classList && (target.classList.contains("geomap-marker") ||
                                           target.classList.contains("marker-cluster"));
      if (pressable && (event.key === "Enter" || event.key === " ")) {
        event.preventDefault();
        target.click();
      }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") map.closePopup();
    });
    map.on("popupopen", function (event) {
      var active = document.activeElement;
      opener = active && active !== document.body ? active : null;
      var content = event.popup.getElement().querySelector(".geomap-popup");
      if (content) content.focus({preventScroll: true});
    });
    map.on("popupclose", function () {
      if (opener && document.contains(opener)) opener.focus({preventScroll: true});
      opener = null;
    });
  }

  function summaryLine(summary, places, incidents, total, filters) {
    var dates = filters.from && (filters.from !== summary.first || filters.to !== summary.last) ?
      filters.from + " – " + filters.to + " (of " + summary.first + " – " + summary.last + ")" :
      summary.first ? summary.first + " – " + summary.last : "";
    return summary.documents + " documents · " + places + " places · " + incidents +
      " incidents" + (total ? " · " + total + " (as reported, not verified)" : "") +
      (dates ? " · " + dates : "") +
      (summary.aggregated ? " · large result: each place shows its " + summary.aggregated +
        " newest incidents here, all of them in the GeoJSON; the heatmap counts them all" : "");
  }

  function summaryControl(text) {
    var summary = L.control({position: "bottomleft"});
    summary.onAdd = function () {
      var box = el("div", "geomap-summary leaflet-control");
      box.id = "geomap-summary";
      box.setAttribute("role", "status");
      box.appendChild(el("b", null, "geomap: "));
      box.appendChild(text);
      return box;
    };
    return summary;
  }

  function createMap(map, data) {
    var filters = g.initialFilters(data);
    var state = g.readViewState(location.hash, data);
    g.applyViewState(state, filters);
    if (state.center) map.setView(state.center, state.zoom, {animate: false});
    else if (g.smallScreen()) map.fitBounds(UKRAINE_BOUNDS, {animate: false});
    var pointLayer = L.markerClusterGroup({
      maxClusterRadius: CLUSTER_RADIUS_PX, chunkedLoading: true, showCoverageOnHover: false,
      spiderfyOnMaxZoom: true, animate: !g.reducedMotion(), iconCreateFunction: clusterIcon});
    var areaLayer = L.layerGroup();
    // Large results: a heatmap of incidents by place, under the markers.
    var heatLayer = data.summary.aggregated ?
      L.heatLayer([], {radius: 25, blur: 20, minOpacity: 0.35, maxZoom: 10}) : null;
    var oblastShapes = Object.create(null);  // looked up by places' names
    data.basemap.oblasts.features.forEach(function (f) { oblastShapes[f.properties.name] = f; });
    data.places.forEach(function (place) {
      var keys = [place.name].concat(place.names || []).map(g.searchKey);
      place.search_keys = keys.filter(function (k, i) { return k && keys.indexOf(k) === i; });
    });
    var summaryText = el("span");
    var shown = [];  // [place, layer] of what is drawn now
    var panel = g.filterPanel(data, filters, redraw);

    /* Before a popup opens: on a phone the panel folds away, and the popup
     * is sized and placed for the room left. */
    function layOutPopup(layer) {
      if (g.smallScreen()) panel.fold(true);
      L.setOptions(layer.getPopup(), popupLayout(map, panel));
    }

    function openPopup(layer, at) {
      layOutPopup(layer);
      layer.openPopup(at);
    }

    function bindPopup(layer, place) {
      // Registered before bindPopup's own click handler, so it runs first.
      layer.on("click", function () { layOutPopup(layer); });
      layer.bindPopup(function () { return g.popupFor(place, data, filters); });
    }

    /* Every place with an incident the filters let through, and the summary. */
    function redraw() {
      pointLayer.clearLayers();
      areaLayer.clearLayers();
      shown = [];
      var markers = [], shownIncidents = 0, heat = [], counted = [];
      data.places.forEach(function (place) {
        var visible = g.visibleIncidents(place, data, filters);
        if (!visible.length) return;
        counted = counted.concat(visible);
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
          markers.push(layer);
        }
        layer.bindTooltip(el("span", null, place.name + " (" + visible.length + ")"));
        bindPopup(layer, place);
        shown.push([place, layer]);
      });
      pointLayer.addLayers(markers);
      if (heatLayer) heatLayer.setLatLngs(heat);
      summaryText.textContent = summaryLine(data.summary, shown.length, shownIncidents,
                                            g.totals(counted), filters);
      g.writeViewState(map, filters, data);
    }

    /* A place picked in the search box: fly there, then open its popup. */
    function showPlace(place) {
      var entry = shown.filter(function (pair) { return pair[0] === place; })[0];
      if (!entry) return;
      var layer = entry[1], animate = !g.reducedMotion();
      if (g.smallScreen()) panel.fold(true);
      if (place.style === "area") {
        map.once("moveend", function () { openPopup(layer, layer.getBounds().getCenter()); });
        map.flyToBounds(layer.getBounds(), {animate: animate, duration: 0.8});
        return;
      }
      map.once("moveend", function () {
        pointLayer.zoomToShowLayer(layer, function () { openPopup(layer); });
      });
      map.flyTo(layer.getLatLng(), Math.max(map.getZoom(), SEARCH_ZOOM),
                {animate: animate, duration: 0.8});
    }

    g.drawBasemap(map, data.basemap);
    g.searchControl(function () {
      return shown.map(function (pair) { return pair[0]; });
    }, showPlace).addTo(map);
    map.zoomControl.remove();
    L.control.zoom({position: "topleft"}).addTo(map);
    g.addLayerSwitcher(map, heatLayer, data.attribution);
    if (heatLayer) heatLayer.addTo(map);
    areaLayer.addTo(map);
    pointLayer.addTo(map);
    panel.addTo(map);
    summaryControl(summaryText).addTo(map);
    keyboardUse(map);
    // The controls first in the tab order: the search box and the filters
    // come before the markers, however many there are.
    var container = map.getContainer();
    container.insertBefore(container.querySelector(".leaflet-control-container"),
                           container.firstChild);
    // The map is the page's main content, under a heading for screen readers.
    container.setAttribute("role", "main");
    container.insertBefore(el("h1", "geomap-sr", document.title), container.firstChild);
    map.on("moveend", function () { g.writeViewState(map, filters, data); });
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

  g.render = function (map, node) {
    map.setMinZoom(3);
    map.setMaxZoom(18);  // clustering needs a bound
    return unpack(node).then(function (data) { createMap(map, data); });
  };
})(geomap);
