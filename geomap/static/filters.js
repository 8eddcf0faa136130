/* What the filters let through: incident types, sources and the date window,
 * and the killed and injured totals of what is shown. */
(function (g) {
  "use strict";

  /* Every type and source, and the whole date range. */
  g.initialFilters = function (data) {
    // Keyed by text from the articles: objects without a prototype, so that
    // a source called "__proto__" is just a source.
    var filters = {types: Object.create(null), sources: Object.create(null),
                   from: data.summary.first, to: data.summary.last};
    data.type_order.forEach(function (t) { filters.types[t] = true; });
    data.sources.forEach(function (s) { filters.sources[s] = true; });
    return filters;
  };

  function sourceOf(data, report) {
    return data.documents[report.doc].source || "unknown source";
  }

  g.visibleIncidents = function (place, data, filters) {
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
  };

  /* Killed and injured added up over incidents, as reported: "12 killed, 30 injured". */
  var TOTALLED = ["killed", "injured"];
  g.totals = function (incidents) {
    var sums = {};
    incidents.forEach(function (incident) {
      TOTALLED.forEach(function (what) {
        if (incident.counts[what]) sums[what] = (sums[what] || 0) + incident.counts[what];
      });
    });
    return TOTALLED.filter(function (what) { return sums[what]; })
      .map(function (what) { return sums[what] + " " + what; }).join(", ");
  };
})(geomap);
