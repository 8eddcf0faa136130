/* geomap's page scripts share one namespace, `geomap`; this file opens it
 * with the helpers the others use. The scripts are inlined in this order:
 * base.js, filters.js, popups.js, basemap.js, panel.js, timeline.js,
 * search.js, viewstate.js, map.js (which draws the map from the page's data).
 * All article text is inserted with textContent, never as HTML. */
var geomap = {};
(function (g) {
  "use strict";

  // Below this width (CSS px) the page is laid out for a phone.
  var SMALL_SCREEN_PX = 600;

  // Symbols drawn in each type's ink on its colour: shapes, so that types
  // differ for readers who cannot tell the colours apart.
  var SYMBOLS = {
    burst: '<polygon points="12,4 14,9.5 20,9 15.5,13 17.5,19 12,15.5 6.5,19 8.5,13 4,9 10,9.5" fill="currentColor"/>',
    cross: '<path d="M8 8 L16 16 M16 8 L8 16" stroke="currentColor" stroke-width="3"/>',
    triangle: '<polygon points="12,6 18,17 6,17" fill="currentColor"/>',
    plus: '<path d="M12 6 V18 M6 12 H18" stroke="currentColor" stroke-width="3"/>',
    bolt: '<polygon points="13,4 7,13 11,13 10,20 17,10 13,10" fill="currentColor"/>',
    square: '<rect x="7.5" y="7.5" width="9" height="9" fill="currentColor"/>',
    ring: '<circle cx="12" cy="12" r="4.5" fill="none" stroke="currentColor" stroke-width="2.5"/>',
    dot: '<circle cx="12" cy="12" r="3" fill="currentColor"/>'
  };

  g.el = function (tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  };

  g.safeUrl = function (url) {
    return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
  };

  /* An inline SVG symbol from trusted constants only (colours and shapes). */
  g.symbolSvg = function (type, size, style) {
    var outline = style === "approximate" ? ' stroke-dasharray="3 2"' :
      style === "geocoded" ? ' stroke-dasharray="1.5 1.5"' : "";
    return '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="' + size +
      '" height="' + size + '" color="' + type.ink + '" aria-hidden="true"><circle cx="12" ' +
      'cy="12" r="10.5" fill="' + type.colour + '" stroke="' + (outline ? "#111" : "#fff") +
      '" stroke-width="1.5"' + outline + '/>' + SYMBOLS[type.symbol] + "</svg>";
  };

  /* Whether the reader asked for less motion: views jump instead of flying. */
  g.reducedMotion = function () {
    return window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  };

  g.smallScreen = function () {
    return window.innerWidth < SMALL_SCREEN_PX;
  };

  /* A lookup key like the gazetteer's: case, accents, apostrophes and hyphens aside. */
  g.searchKey = function (name) {
    return name.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[’'ʼ`´‘ʹ]/g, "").replace(/\.(?=\S)|\.$/g, "")
      .replace(/[\s\-‐‑–—]+/g, " ").trim();
  };
})(geomap);
