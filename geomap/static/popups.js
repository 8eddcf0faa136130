/* A place's popup: its name, kind and oblast, then each incident the filters
 * let through, with its types, date, counts and the words they were read
 * from, and every report quoting its sentence, source, date and link. */
(function (g) {
  "use strict";
  var el = g.el;

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
    var url = doc.link_is_url ? g.safeUrl(doc.link) : null;
    if (!url) return el("span", "geomap-file", doc.link);
    var a = el("a", null, url);
    a.href = url;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
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
      badge.style.color = data.types[t].ink;
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

  g.popupFor = function (place, data, filters) {
    var box = el("div", "geomap-popup");
    box.tabIndex = -1;  // focused when it opens, so the keyboard reads on from here
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", place.name);
    box.appendChild(el("h2", "geomap-place", place.name));
    var where = [place.kind, place.admin1, place.country].filter(Boolean).join(", ");
    if (place.located_by === "geocoder") where += " · located by the fallback geocoder";
    if (place.located_by === "approximate") where += " · not named in the text; approximate position";
    box.appendChild(el("div", "geomap-where", where));
    var visible = g.visibleIncidents(place, data, filters);
    var total = g.totals(visible);
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
  };
})(geomap);
