/* The date window: two sliders, its first and its last day, and a play
 * button that moves the window on a day at a time (a week on ranges longer
 * than WEEKLY_ABOVE_DAYS) until it reaches the last date. */
(function (g) {
  "use strict";
  var el = g.el;

  var DAY_MS = 86400000;
  var WEEKLY_ABOVE_DAYS = 90;
  var STEP_INTERVAL_MS = 1000;

  function dayNumber(iso) { return Math.round(Date.parse(iso + "T00:00:00Z") / DAY_MS); }
  function isoDay(day) { return new Date(day * DAY_MS).toISOString().slice(0, 10); }

  g.timeline = function (box, summary, filters, redraw) {
    var first = dayNumber(summary.first);
    var lastDay = dayNumber(summary.last) - first;  // days are counted from the first
    var step = lastDay > WEEKLY_ABOVE_DAYS ? 7 : 1;
    var timer = null;
    var ends = {};

    function slider(end) {
      var row = el("label", "geomap-row geomap-range", end === "from" ? "from" : "to");
      var input = el("input");
      input.type = "range";
      input.name = end;
      input.min = "0";
      input.max = String(lastDay);
      input.value = String(dayNumber(filters[end]) - first);
      var shown = el("output", "geomap-day");
      row.appendChild(input);
      row.appendChild(shown);
      input.addEventListener("input", function () {
        stop();
        // The window's ends never cross: moving one past the other moves both.
        var days = shownDays();
        if (days.from > days.to) {
          var moved = days[end];
          set(moved, moved);
        } else {
          set(days.from, days.to);
        }
      });
      box.appendChild(row);
      return {input: input, shown: shown};
    }

    /* The window the sliders show, in days from the first. */
    function shownDays() {
      return {from: Number(ends.from.input.value), to: Number(ends.to.input.value)};
    }

    /* Shows days first+from .. first+to and (unless `quietly`) redraws the map for them. */
    function set(from, to, quietly) {
      [["from", from], ["to", to]].forEach(function (pair) {
        var end = ends[pair[0]], day = isoDay(first + pair[1]);
        end.input.value = String(pair[1]);
        end.input.setAttribute("aria-valuetext", day);
        end.shown.textContent = day;
        filters[pair[0]] = day;
      });
      if (!quietly) redraw();
    }

    function stop() {
      if (timer === null) return;
      clearInterval(timer);
      timer = null;
      play.textContent = "▶ Play";
      play.setAttribute("aria-pressed", "false");
    }

    function advance() {
      var days = shownDays();
      if (days.to >= lastDay) { stop(); return; }
      set(Math.min(days.from + step, lastDay), Math.min(days.to + step, lastDay));
    }

    ends.from = slider("from");
    ends.to = slider("to");
    var controls = el("div", "geomap-row");
    var play = el("button", "geomap-play", "▶ Play");
    play.type = "button";
    play.setAttribute("aria-pressed", "false");
    play.setAttribute("aria-label", "Play: move the dates on " + (step === 7 ? "a week" : "a day") +
                      " at a time");
    play.addEventListener("click", function () {
      if (timer !== null) { stop(); return; }
      var days = shownDays();
      // From the start, one step wide, unless a narrower window is already set.
      if (days.to >= lastDay) {
        var width = days.from === 0 ? step - 1 : days.to - days.from;
        set(0, Math.min(width, lastDay));
      }
      timer = setInterval(advance, STEP_INTERVAL_MS);
      play.textContent = "❚❚ Pause";
      play.setAttribute("aria-pressed", "true");
    });
    controls.appendChild(play);
    controls.appendChild(el("span", "geomap-step", step === 7 ? "week by week" : "day by day"));
    box.appendChild(controls);
    var initial = shownDays();
    set(initial.from, initial.to, true);
  };
})(geomap);
