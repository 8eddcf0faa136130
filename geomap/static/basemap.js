/* The offline basemap, always drawn: neighbours, Ukraine, its oblasts, and
 * labels (the capital, oblast centres and cities over 100,000, then oblast
 * names) placed at each zoom only where they do not crowd each other; and
 * the switcher to OpenStreetMap tiles and the heatmap. */
(function (g) {
  "use strict";

  // As map.css draws them: the capital and oblast centres in bold.
  var LABEL_FONT = "11px system-ui, sans-serif";
  var BOLD_LABEL_FONT = "600 " + LABEL_FONT;
  var LABEL_HEIGHT_PX = 14;
  var LABEL_GAP_PX = 4;
  var OBLAST_NAMES_FROM_ZOOM = 6;
  // The zoom from which a city is named, by rank: the capital, oblast
  // centres, other cities over 100,000.
  var CITY_FROM_ZOOM = [3, 5, 7];

  var measure = document.createElement("canvas").getContext("2d");

  function labelMarker(label) {
    return L.marker(label.at, {interactive: false, keyboard: false, pane: "geomap-labels",
      icon: L.divIcon({className: "geomap-place-name", html: "", iconSize: null})})
      // The name in a span of its own: Leaflet positions the icon with a
      // transform, so the span is what centres the name or sets it by its dot.
      .on("add", function () {
        this.getElement().replaceChildren(g.el("span", label.className, label.name));
      });
  }

  /* Labels in priority order, each shown unless its box meets one already shown. */
  function placeLabels(map, labels, layer) {
    layer.clearLayers();
    var taken = [];
    labels.forEach(function (label) {
      if (label.fromZoom > map.getZoom()) return;
      var at = map.project(label.at);
      measure.font = label.bold ? BOLD_LABEL_FONT : LABEL_FONT;
      var half = measure.measureText(label.name).width / 2 + LABEL_GAP_PX;
      // City names sit right of their dot; oblast names are centred.
      var box = label.isCity ?
        {left: at.x - 4, right: at.x + 2 * half + 4, top: at.y - LABEL_HEIGHT_PX / 2 - LABEL_GAP_PX,
         bottom: at.y + LABEL_HEIGHT_PX / 2 + LABEL_GAP_PX} :
        {left: at.x - half, right: at.x + half, top: at.y - LABEL_HEIGHT_PX / 2 - LABEL_GAP_PX,
         bottom: at.y + LABEL_HEIGHT_PX / 2 + LABEL_GAP_PX};
      var crowded = taken.some(function (other) {
        return box.left < other.right && other.left < box.right &&
          box.top < other.bottom && other.top < box.bottom;
      });
      if (crowded) return;
      taken.push(box);
      layer.addLayer(label.marker);
    });
  }

  g.drawBasemap = function (map, basemap) {
    map.createPane("geomap-basemap").style.zIndex = 250;
    // Names lie over the basemap and under the places' areas and markers.
    map.createPane("geomap-labels").style.zIndex = 390;
    L.geoJSON(basemap.countries, {pane: "geomap-basemap", interactive: false,
      style: {color: "#b3b3b3", weight: 1, fillColor: "#ececec", fillOpacity: 1}}).addTo(map);
    L.geoJSON(basemap.ukraine, {pane: "geomap-basemap", interactive: false,
      style: {color: "#4d4d4d", weight: 2, fillColor: "#fbfaf6", fillOpacity: 1}}).addTo(map);
    L.geoJSON(basemap.oblasts, {pane: "geomap-basemap", interactive: false,
      style: {color: "#9c9c9c", weight: 0.8, fill: false}}).addTo(map);
    var labels = basemap.cities.map(function (city) {
      return {name: city.name, at: [city.lat, city.lon], fromZoom: CITY_FROM_ZOOM[city.rank],
              isCity: true, bold: city.rank < 2,
              className: "geomap-city geomap-city-" + city.rank};
    }).concat(basemap.oblasts.features.map(function (f) {
      return {name: f.properties.name, at: f.properties.label, fromZoom: OBLAST_NAMES_FROM_ZOOM,
              isCity: false, className: "geomap-label"};
    }));
    labels.forEach(function (label) { label.marker = labelMarker(label); });
    var layer = L.layerGroup().addTo(map);
    map.on("zoomend", function () { placeLabels(map, labels, layer); });
    placeLabels(map, labels, layer);
  };

  /* The layer switcher: the offline basemap or OpenStreetMap tiles, and the heatmap if any. */
  g.addLayerSwitcher = function (map, heatLayer, attribution) {
    var tiles = L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
      {maxZoom: 19, attribution: "tiles © OpenStreetMap contributors", opacity: 0.85});
    L.control.layers({"Offline basemap": L.layerGroup().addTo(map),
                      "OpenStreetMap tiles (online)": tiles},
                     heatLayer ? {"Heatmap of incidents": heatLayer} : null,
                     {position: "topleft", collapsed: true}).addTo(map);
    map.attributionControl.addAttribution(attribution);
  };
})(geomap);
