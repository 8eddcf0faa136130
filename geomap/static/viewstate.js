/* The view in the page's URL, so that a link shares it: the hash holds the
 * centre and zoom, the date window, the types shown and the sources hidden,
 * as in "#map=8/48.512/35.871&from=2022-03-01&to=2022-03-07&types=attack,casualties&hide=Reuters".
 * Only what differs from the whole map is written. */
(function (g) {
  "use strict";
  var DAY = /^\d{4}-\d{2}-\d{2}$/;

  /* The view a hash asks for, checked: what is malformed or unknown is left out. */
  g.readViewState = function (hash, data) {
    var params = new URLSearchParams(hash.replace(/^#/, ""));
    var state = {};
    var view = (params.get("map") || "").split("/").map(Number);
    if (view.length === 3 && view.every(isFinite) && Math.abs(view[1]) <= 90 &&
        Math.abs(view[2]) <= 180) {
      state.zoom = view[0];
      state.center = [view[1], view[2]];
    }
    ["from", "to"].forEach(function (end) {
      var day = params.get(end);
      if (day && DAY.test(day) && data.summary.first && day >= data.summary.first &&
          day <= data.summary.last) {
        state[end] = day;
      }
    });
    if (state.from && state.to && state.from > state.to) { delete state.from; delete state.to; }
    if (params.has("types")) {
      // "types=" is every type switched off; a list naming none this map
      // knows is a bad link, and shows them all.
      var listed = params.get("types").split(",").filter(Boolean);
      var known = listed.filter(function (t) { return data.type_order.indexOf(t) !== -1; });
      if (known.length || !listed.length) state.types = known;
    }
    state.hidden = params.getAll("hide").filter(function (s) {
      return data.sources.indexOf(s) !== -1;
    });
    return state;
  };

  /* Filters with a state's dates, types and hidden sources. */
  g.applyViewState = function (state, filters) {
    if (state.from) filters.from = state.from;
    if (state.to) filters.to = state.to;
    if (state.types) {
      Object.keys(filters.types).forEach(function (t) {
        filters.types[t] = state.types.indexOf(t) !== -1;
      });
    }
    state.hidden.forEach(function (s) { filters.sources[s] = false; });
  };

  g.writeViewState = function (map, filters, data) {
    var centre = map.getCenter();
    // Written by hand rather than by URLSearchParams, which would escape "/" and ",".
    var parts = ["map=" + map.getZoom() + "/" + centre.lat.toFixed(3) + "/" + centre.lng.toFixed(3)];
    if (filters.from && filters.from !== data.summary.first) parts.push("from=" + filters.from);
    if (filters.to && filters.to !== data.summary.last) parts.push("to=" + filters.to);
    var shown = data.type_order.filter(function (t) { return filters.types[t]; });
    if (shown.length !== data.type_order.length) parts.push("types=" + shown.join(","));
    data.sources.forEach(function (s) {
      if (!filters.sources[s]) parts.push("hide=" + encodeURIComponent(s));
    });
    try {
      history.replaceState(null, "", "#" + parts.join("&"));
    } catch (error) {
      // A page that may not change its URL (in a sandboxed frame) works without it.
    }
  };
})(geomap);
