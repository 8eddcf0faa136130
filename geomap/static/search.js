/* The search box: matches a typed name against every name the gazetteer
 * knows for the places on the map (the page carries them), lists the
 * matches as you type (arrows and Enter, or a click, pick one), and hands
 * the pick to the map. A combobox in the ARIA sense, for screen readers. */
(function (g) {
  "use strict";
  var el = g.el;
  var MAX_MATCHES = 8;

  /* How well a place's names match the key: 0 a name starts with it, 1 a
   * word of a name does, 2 a name holds it; null for no match. `by` is the
   * name that matched best: the place's own (keys[0]) if it is among those,
   * else the shortest of them (the plainest spelling). */
  function rank(keys, key) {
    var best = null, by = null;
    keys.forEach(function (name) {
      var score = name.indexOf(key) === 0 ? 0 : name.indexOf(" " + key) !== -1 ? 1 :
        name.indexOf(key) !== -1 ? 2 : null;
      if (score === null) return;
      if (best === null || score < best ||
          (score === best && by !== keys[0] && name.length < by.length)) {
        best = score;
        by = name;
      }
    });
    return best === null ? null : {score: best, by: by};
  }

  /* `shownPlaces()` gives the places on the map now; `pick(place)` shows one. */
  g.searchControl = function (shownPlaces, pick) {
    var control = L.control({position: "topleft"});
    control.onAdd = function () {
      var box = el("div", "geomap-search leaflet-control");
      box.setAttribute("role", "search");
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      var label = el("label", "geomap-sr", "Find a place on the map");
      label.htmlFor = "geomap-search-input";
      var input = el("input");
      input.id = "geomap-search-input";
      input.type = "search";
      input.placeholder = "Find a place";
      input.autocomplete = "off";
      input.setAttribute("role", "combobox");
      input.setAttribute("aria-autocomplete", "list");
      input.setAttribute("aria-expanded", "false");
      input.setAttribute("aria-controls", "geomap-search-results");
      var list = el("ul", "geomap-search-results");
      list.id = "geomap-search-results";
      list.setAttribute("role", "listbox");
      list.setAttribute("aria-label", "Places that match");
      list.hidden = true;
      box.appendChild(label);
      box.appendChild(input);
      box.appendChild(list);

      var matches = [], active = -1;
      function close() {
        list.hidden = true;
        input.setAttribute("aria-expanded", "false");
        input.removeAttribute("aria-activedescendant");
        active = -1;
      }
      function highlight(index) {
        active = index;
        Array.prototype.forEach.call(list.children, function (item, i) {
          item.setAttribute("aria-selected", String(i === index));
        });
        if (index >= 0) input.setAttribute("aria-activedescendant", "geomap-match-" + index);
      }
      function choose(index) {
        var place = matches[index].place;
        input.value = place.name;
        close();
        pick(place);
      }
      function update() {
        var key = g.searchKey(input.value);
        list.textContent = "";
        matches = [];
        if (key) {
          shownPlaces().forEach(function (place) {
            var found = rank(place.search_keys, key);
            if (found) matches.push({place: place, score: found.score, by: found.by});
          });
        }
        matches.sort(function (a, b) {
          return a.score - b.score || b.place.incidents.length - a.place.incidents.length ||
            (a.place.name < b.place.name ? -1 : a.place.name > b.place.name ? 1 : 0);
        });
        matches = matches.slice(0, MAX_MATCHES);
        matches.forEach(function (match, i) {
          var item = el("li", "geomap-match", match.place.name);
          item.id = "geomap-match-" + i;
          item.setAttribute("role", "option");
          item.setAttribute("aria-selected", "false");
          var spelled = match.by !== g.searchKey(match.place.name) ? " (" + match.by + ")" : "";
          var where = [match.place.kind, match.place.admin1].filter(Boolean).join(", ");
          item.appendChild(el("span", "geomap-match-where", spelled + (where ? " · " + where : "")));
          item.addEventListener("mousedown", function (event) { event.preventDefault(); });
          item.addEventListener("click", function () { choose(i); });
          list.appendChild(item);
        });
        if (!matches.length && key) list.appendChild(el("li", "geomap-no-match", "No place on the map by that name"));
        list.hidden = !key;
        input.setAttribute("aria-expanded", String(matches.length > 0));
        highlight(matches.length ? 0 : -1);
      }
      input.addEventListener("input", update);
      input.addEventListener("keydown", function (event) {
        if (event.key === "ArrowDown" && matches.length) {
          highlight((active + 1) % matches.length);
        } else if (event.key === "ArrowUp" && matches.length) {
          highlight((active - 1 + matches.length) % matches.length);
        } else if (event.key === "Enter" && active >= 0) {
          choose(active);
        } else if (event.key === "Escape" && !list.hidden) {
          close();
        } else {
          return;
        }
        event.preventDefault();
        event.stopPropagation();
      });
      input.addEventListener("blur", close);
      return box;
    };
    return control;
  };
})(geomap);
