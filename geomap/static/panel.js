/* The panel at the top right, legend and filters in one: a checkbox per
 * incident type and source, the date window, and the place styles. One
 * button folds it away; on a phone it starts folded. */
(function (g) {
  "use strict";
  var el = g.el;

  /* A control holding the panel; `panel.fold(true)` folds it. */
  g.filterPanel = function (data, filters, redraw) {
    var control = L.control({position: "topright"});
    var toggle, body;
    control.fold = function (folded) {
      body.hidden = folded;
      toggle.setAttribute("aria-expanded", String(!folded));
      toggle.textContent = folded ? "Filters and legend" : "Hide filters";
    };
    control.folded = function () { return body.hidden; };
    control.onAdd = function () {
      var box = el("div", "geomap-panel leaflet-control");
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      toggle = el("button", "geomap-panel-toggle");
      toggle.type = "button";
      toggle.setAttribute("aria-controls", "geomap-filters");
      toggle.addEventListener("click", function () { control.fold(!body.hidden); });
      box.appendChild(toggle);
      body = el("div", "geomap-panel-body");
      body.id = "geomap-filters";
      body.setAttribute("role", "region");
      body.setAttribute("aria-label", "Filters and legend");
      box.appendChild(body);
      fill(body, data, filters, redraw);
      control.fold(g.smallScreen());
      return box;
    };
    return control;
  };

  function fill(body, data, filters, redraw) {
    function group(title) {
      var set = el("fieldset", "geomap-group");
      set.appendChild(el("legend", "geomap-panel-title", title));
      body.appendChild(set);
      return set;
    }
    /* A checkbox row that switches one layer (a type or a source) on and off. */
    function layerRow(set, kind, value, label, swatch) {
      var row = el("label", "geomap-row");
      var checkbox = el("input");
      checkbox.type = "checkbox";
      checkbox.checked = filters[kind][value];
      checkbox.name = kind === "types" ? "type" : "source";
      checkbox.value = value;
      checkbox.addEventListener("change", function () {
        filters[kind][value] = checkbox.checked;
        redraw();
      });
      row.appendChild(checkbox);
      if (swatch) row.appendChild(swatch);
      row.appendChild(el("span", null, label));
      set.appendChild(row);
    }
    var types = group("Incident types");
    data.type_order.forEach(function (t) {
      var swatch = el("span", "geomap-swatch");
      swatch.innerHTML = g.symbolSvg(data.types[t], 16, "point");
      layerRow(types, "types", t, data.types[t].label, swatch);
    });
    var sources = group("Sources");
    data.sources.forEach(function (s) { layerRow(sources, "sources", s, s, null); });
    if (data.summary.first) g.timeline(group("Dates"), data.summary, filters, redraw);
    var styles = group("Places");
    data.style_order.forEach(function (style) {
      var row = el("div", "geomap-row");
      row.appendChild(el("span", "geomap-style geomap-style-" + style));
      row.appendChild(el("span", null, data.place_styles[style]));
      styles.appendChild(row);
    });
    body.appendChild(el("p", "geomap-note", "Killed and injured are numbers as the " +
      "articles report them, read by a program, not verified: each is shown with the " +
      "words it was read from."));
  }
})(geomap);
