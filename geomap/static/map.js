/* geomap: draws the places and their incidents from the page's JSON data.
 * All article text is inserted with textContent, never as HTML, and links
 * are made only for http(s) URLs. */
var geomap = (function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function safeUrl(url) {
    return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
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

  function linkTo(target) {
    var url = safeUrl(target);
    if (!url) return el("span", "geomap-file", target);
    var a = el("a", null, url);
    a.href = url;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }

  function popup(place, documents) {
    var box = el("div", "geomap-popup");
    box.appendChild(el("div", "geomap-place", place.name));
    var where = [place.kind, place.admin1, place.country].filter(Boolean).join(", ");
    if (place.located_by === "geocoder") where += " · located by the fallback geocoder";
    if (place.located_by === "approximate") where += " · approximate position, not named in the text";
    box.appendChild(el("div", "geomap-where", where));
    var list = el("ol", "geomap-incidents");
    place.incidents.forEach(function (incident) {
      var doc = documents[incident.doc];
      var item = el("li", "geomap-incident");
      item.appendChild(highlighted(incident.sentence, incident.names));
      var meta = el("div", "geomap-meta");
      meta.appendChild(el("span", "geomap-date", doc.date || "undated"));
      meta.appendChild(document.createTextNode(" · "));
      meta.appendChild(el("span", "geomap-source", doc.source || "unknown source"));
      meta.appendChild(el("div", "geomap-title", doc.title));
      meta.appendChild(linkTo(doc.link));
      item.appendChild(meta);
      list.appendChild(item);
    });
    box.appendChild(list);
    return box;
  }

  function summary(data) {
    var control = L.control({position: "bottomleft"});
    control.onAdd = function () {
      var box = el("div", "geomap-summary leaflet-control");
      box.id = "geomap-summary";
      box.appendChild(el("b", null, "geomap"));
      box.appendChild(document.createTextNode(
        ": " + data.summary.documents + " documents · " + data.summary.places + " places · " +
        data.summary.incidents + " incidents · " + data.summary.dates));
      return box;
    };
    return control;
  }

  function render(map, data) {
    data.places.forEach(function (place) {
      var style = data.styles[place.style];
      var count = place.incidents.length;
      var marker = L.circleMarker([place.lat, place.lon], {
        radius: style.radius + Math.min(count, 20),
        color: style.colour, fillColor: style.colour, weight: style.weight,
        fillOpacity: style.fill_opacity, dashArray: style.dash || null,
        className: "geomap-marker geomap-" + place.style
      });
      marker.bindTooltip(el("span", null, place.name + " (" + count + ")"));
      marker.bindPopup(function () { return popup(place, data.documents); },
                       {maxWidth: 420, minWidth: 260});
      marker.addTo(map);
    });
    map.attributionControl.addAttribution(data.attribution);
    summary(data).addTo(map);
  }

  return {render: render};
})();
