/* lrcourse explorer twins: kernel-free LR explorers for the static book.
 *
 * Each <div class="lrc-explorer"> holds a JSON payload written by lrcourse/twin.py when the
 * notebook ran: controls (each with the values torch was run at), panels, and one frame per
 * combination of control values. Curves are float64 values packed as base64 (runs of equal
 * values stored once). This script builds labelled <input type=range> sliders and <select>s,
 * draws the current frame as SVG (y axis from 0, or logarithmic on request), and lists the values
 * in a table with named columns: rounded for reading, torch's exact float on hover or with
 * "exact values" ticked. No network, no kernel.
 */
(function () {
  "use strict";
  var DASHES = ["7 4", "2 3", "9 3 2 3"];
  var SVG = "http://www.w3.org/2000/svg";
  var COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];
  var WIDTH = 640, MARGIN = { left: 64, right: 12, top: 12, bottom: 36 };
  var counter = 0;

  function decode(item) {
    var bin = atob(item.v), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    var runs = new Float64Array(bytes.buffer), out = [];
    for (var r = 0; r < runs.length; r++) {
      var n = item.n ? item.n[r] : 1;
      for (var k = 0; k < n; k++) out.push(runs[r]);
    }
    return out;
  }

  function el(tag, attrs, parent, ns) {
    var node = ns ? document.createElementNS(SVG, tag) : document.createElement(tag);
    for (var key in attrs || {}) node.setAttribute(key, attrs[key]);
    if (parent) parent.appendChild(node);
    return node;
  }

  function niceTicks(lo, hi, count) {
    if (!(hi > lo)) { hi = lo + (lo === 0 ? 1 : Math.abs(lo) * 0.1); }
    var raw = (hi - lo) / count, mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 2.5, 5, 10].map(function (m) { return m * mag; })
      .find(function (s) { return s >= raw; });
    var ticks = [];
    for (var t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
      ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
    }
    return ticks;
  }

  function fmt(v) { return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(1) : String(+v.toPrecision(4)); }

  // A value as a person reads it: 4 significant digits (0.05000000000000001 reads 0.05).
  function rounded(v) { return isFinite(v) ? String(+v.toPrecision(4)) : String(v); }

  // widgets.py's epoch_text: "2 + 3/4" (three batches into epoch 2), not "2.75".
  function epochText(x, perEpoch) {
    var whole = Math.floor(x + 1e-9), batch = Math.round((x - whole) * perEpoch);
    if (perEpoch <= 1 || batch === 0) { return Math.abs(x - whole) < 1e-9 ? String(whole) : rounded(x); }
    return whole + " + " + batch + "/" + perEpoch;
  }

  function pickRows(count, maxRows) {
    var rows = [];
    if (count <= maxRows) { for (var i = 0; i < count; i++) rows.push(i); return rows; }
    var seen = {};
    for (var j = 0; j < maxRows; j++) {
      // Python's round() rounds halves to even; (count-1)*j/(maxRows-1) is never a half here
      // except by accident, so match it exactly:
      var exact = j * (count - 1) / (maxRows - 1), r = Math.round(exact);
      if (Math.abs(exact - Math.floor(exact) - 0.5) < 1e-12 && Math.floor(exact) % 2 === 0) r = Math.floor(exact);
      if (!seen[r]) { seen[r] = true; rows.push(r); }
    }
    return rows.sort(function (a, b) { return a - b; });
  }

  function Explorer(root, data) {
    this.root = root;
    this.data = data;
    this.cache = {};
    this.index = data.controls.map(function (c) { return c.start; });
    this.id = "lrc-explorer-" + (++counter);
    this.build();
    this.render();
  }

  Explorer.prototype.series = function (ref) {
    if (!(ref in this.cache)) this.cache[ref] = decode(this.data.series[ref]);
    return this.cache[ref];
  };

  Explorer.prototype.build = function () {
    var self = this, data = this.data;
    var form = el("form", { class: "lrc-controls", "aria-label": data.title + " controls" }, this.root);
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    data.controls.forEach(function (control, k) {
      var id = self.id + "-" + control.name, wrap = el("div", { class: "lrc-control" }, form);
      var label = el("label", { for: id }, wrap);
      label.textContent = control.name + (control.description ? " (" + control.description + ")" : "");
      var input;
      if (control.kind === "range") {
        input = el("input", { type: "range", id: id, min: 0, max: control.labels.length - 1, step: 1, value: control.start, "data-control": control.name }, wrap);
      } else {
        input = el("select", { id: id, "data-control": control.name }, wrap);
        control.labels.forEach(function (text, i) {
          var option = el("option", { value: i }, input);
          option.textContent = text;
        });
        input.value = String(control.start);
      }
      var output = el("output", { for: id, class: "lrc-value" }, wrap);
      control._input = input;
      control._output = output;
      input.addEventListener("input", function () { self.index[k] = +input.value; self.render(); });
      input.addEventListener("change", function () { self.index[k] = +input.value; self.render(); });
    });
    if (data.fixed.length) {
      var fixed = el("p", { class: "lrc-fixed" }, this.root);
      fixed.textContent = "Fixed in this page (move them in the notebook): " + data.fixed.join(", ");
    }
    this.caption = el("p", { class: "lrc-caption" }, this.root);
    this.message = el("p", { class: "lrc-message", role: "alert" }, this.root);
    var options = el("p", { class: "lrc-options" }, this.root);
    this.logY = false;
    if (data.panels.some(function (p) { return !p.log; })) {
      var logId = "lrc-log-" + counter;
      var logBox = el("input", { type: "checkbox", id: logId, class: "lrc-log-toggle" }, options);
      el("label", { for: logId }, options).textContent = "log y axis (rates that span decades)";
      logBox.addEventListener("change", function () { self.logY = logBox.checked; self.render(); });
    }
    this.svg = el("svg", { class: "lrc-figure", role: "img", "aria-label": data.title + " figure", width: WIDTH, viewBox: "0 0 " + WIDTH + " 100" }, this.root, true);
    var details = el("details", { class: "lrc-values-box", open: "open" }, this.root);
    el("summary", {}, details).textContent = "values (as torch computed them)";
    var exactId = "lrc-exact-" + counter;
    var exactBox = el("input", { type: "checkbox", id: exactId, class: "lrc-exact-toggle" }, details);
    el("label", { for: exactId }, details).textContent = "exact values (else rounded to 4 digits; hover a value for its exact float)";
    this.exact = false;
    exactBox.addEventListener("change", function () { self.exact = exactBox.checked; self.render(); });
    // The table scrolls sideways on a phone: a tab stop lets a keyboard scroll it too.
    this.tableBox = el("div", { class: "lrc-values-scroll", tabindex: "0", role: "region", "aria-label": data.title + " values" }, details);
    this.table = el("table", { class: "lrc-values" }, this.tableBox);
    this.lastWidth = 0;
    window.addEventListener("resize", function () {
      if (Math.abs(self.drawWidth() - self.lastWidth) > 8) { self.render(); }
    });
  };

  Explorer.prototype.frameIndex = function () {
    var index = 0, controls = this.data.controls;
    for (var k = 0; k < controls.length; k++) index = index * controls[k].labels.length + this.index[k];
    return index;
  };

  Explorer.prototype.render = function () {
    var data = this.data, self = this;
    data.controls.forEach(function (control, k) {
      var text = control.labels[self.index[k]];
      control._output.textContent = text;
      if (control.values) control._input.setAttribute("data-value", String(control.values[self.index[k]]));
      if (control.kind === "range") control._input.setAttribute("aria-valuetext", text);
    });
    var frame = data.frames[this.frameIndex()];
    this.root.setAttribute("data-frame", this.frameIndex());
    if (frame.e) {
      this.message.textContent = "⚠ " + frame.e;
      this.svg.setAttribute("data-state", "error");
      return;  // keep the last valid figure, as the live explorer does
    }
    this.message.textContent = "";
    this.svg.removeAttribute("data-state");
    if (frame.c !== undefined && data.captions.length) {
      this.caption.textContent = data.captions[frame.c];
    } else {
      this.caption.textContent = data.title + ": " + data.controls.map(function (c, k) {
        return c.name + "=" + c.labels[self.index[k]];
      }).join(", ");
    }
    var layout = data.layouts[frame.l];
    var curves = layout.map(function (meta, i) {
      var y = self.series(frame.y[i]);
      var x = frame.x && frame.x[i] >= 0 ? self.series(frame.x[i]) : y.map(function (_, j) { return j / meta[3]; });
      return { label: meta[0], panel: meta[1], style: meta[2], x: x, y: y, color: COLORS[i % COLORS.length] };
    });
    this.draw(curves);
    this.fillTable(curves, frame.t);
  };

  // Draw at the width the figure is shown (at most WIDTH), so 11-px tick labels stay 11 px on a
  // phone instead of shrinking with a scaled-down drawing.
  Explorer.prototype.drawWidth = function () {
    var shown = this.root.clientWidth - 4;
    return shown > 200 ? Math.min(WIDTH, shown) : WIDTH;
  };

  Explorer.prototype.draw = function (curves) {
    var svg = this.svg, self = this;
    var width = this.drawWidth();
    this.lastWidth = width;
    var panels = this.data.panels.map(function (p) {
      var copy = {}; for (var key in p) copy[key] = p[key];
      if (self.logY) copy.log = true;
      return copy;
    });
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var sideBySide = curves.some(function (c) { return c.style === "xy"; });
    var panelW = sideBySide ? width / panels.length : width;
    var panelH = sideBySide ? 260 : (panels.length > 1 ? 170 : 240);
    var height = sideBySide ? panelH : panelH * panels.length;
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    panels.forEach(function (panel, p) {
      var ox = sideBySide ? p * panelW : 0, oy = sideBySide ? 0 : p * panelH;
      var mine = curves.filter(function (c) { return c.panel === p; });
      var xs = [], ys = [];
      mine.forEach(function (c) {
        c.x.forEach(function (v) { xs.push(v); });
        c.y.forEach(function (v) { if (isFinite(v) && (!panel.log || v > 0)) ys.push(v); });
      });
      if (!xs.length) return;
      var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
      if (!ys.length) return;
      var y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
      // A linear axis starts at 0 when every value is positive: 0.1 -> 0.05 is a halving, and an
      // auto-scaled axis would draw it as a fall to the bottom of the panel.
      var fromZero = !panel.log && y0 >= 0 && !sideBySide;
      if (fromZero) { y0 = 0; }
      if (panel.log) { y0 = Math.log10(y0); y1 = Math.log10(y1); }
      if (x1 === x0) x1 = x0 + 1;
      if (y1 === y0) { y0 -= 0.5 * (Math.abs(y0) || 1) * 0.1; y1 += 0.5 * (Math.abs(y1) || 1) * 0.1; }
      var pad = (y1 - y0) * 0.05; y1 += pad; if (!fromZero) { y0 -= pad; }
      var L = ox + MARGIN.left, R = ox + panelW - MARGIN.right, T = oy + MARGIN.top, B = oy + panelH - MARGIN.bottom;
      var sx = function (v) { return L + (v - x0) / (x1 - x0) * (R - L); };
      var sy = function (v) { var w = panel.log ? Math.log10(v) : v; return B - (w - y0) / (y1 - y0) * (B - T); };
      var g = el("g", { class: "lrc-panel", "data-panel": p }, svg, true);
      el("rect", { x: L, y: T, width: R - L, height: B - T, fill: "none", stroke: "#999" }, g, true);
      var yticks = panel.log
        ? niceTicks(Math.floor(y0), Math.ceil(y1), 5).filter(function (t) { return t === Math.round(t) && t >= y0 && t <= y1; }).map(function (t) { return Math.pow(10, t); })
        : niceTicks(y0, y1, 5);
      yticks.forEach(function (t) {
        var y = sy(t);
        if (y < T - 0.5 || y > B + 0.5) return;
        el("line", { x1: L, x2: R, y1: y, y2: y, stroke: "#ddd" }, g, true);
        el("text", { x: L - 4, y: y + 4, "text-anchor": "end", "font-size": 11 }, g, true).textContent = fmt(t);
      });
      niceTicks(x0, x1, Math.max(3, Math.round((R - L) / 70))).forEach(function (t) {
        var x = sx(t);
        el("line", { x1: x, x2: x, y1: B, y2: B + 4, stroke: "#999" }, g, true);
        el("text", { x: x, y: B + 16, "text-anchor": "middle", "font-size": 11 }, g, true).textContent = fmt(t);
      });
      el("text", { x: (L + R) / 2, y: B + 31, "text-anchor": "middle", "font-size": 12 }, g, true).textContent = panel.xlabel;
      el("text", { x: ox + 12, y: (T + B) / 2, "text-anchor": "middle", "font-size": 12, transform: "rotate(-90 " + (ox + 12) + " " + (T + B) / 2 + ")" }, g, true).textContent = panel.ylabel;
      mine.forEach(function (c, i) {
        var d = "", pts = [];
        for (var j = 0; j < c.y.length; j++) {
          if (!isFinite(c.y[j]) || (panel.log && c.y[j] <= 0)) continue;
          pts.push([sx(c.x[j]), sy(c.y[j])]);
        }
        if (c.style === "steps") {
          pts.forEach(function (pt, j) { d += j === 0 ? "M" + pt[0] + " " + pt[1] : "H" + pt[0] + "V" + pt[1]; });
        } else {
          pts.forEach(function (pt, j) { d += (j === 0 ? "M" : "L") + pt[0] + " " + pt[1]; });
        }
        var attrs = { d: d, fill: "none", stroke: c.color, "stroke-width": 2, class: "lrc-curve", "data-label": c.label };
        if (c.style === "points") { attrs.stroke = "none"; }
        // Schedules that share a stretch (StepLR and MultiStepLR until their last drop) must not
        // hide each other: each later curve is dashed, in its own pattern, over the first.
        var dash = mine.length > 1 && i > 0 && c.style !== "points" ? DASHES[(i - 1) % DASHES.length] : null;
        if (dash) { attrs["stroke-dasharray"] = dash; }
        if (/alone$|^patience$/.test(c.label)) { attrs["stroke-dasharray"] = "5 4"; attrs["stroke-width"] = 1.2; }
        el("path", attrs, g, true);
        if (c.style === "points" || c.style === "xy") {
          pts.forEach(function (pt) { el("circle", { cx: pt[0], cy: pt[1], r: 2.2, fill: c.color }, g, true); });
        }
        if (mine.length > 1) {
          // The legend sits inside the plot's right edge, as wide as its longest label (about
          // 6.3 px a character at 11 px), so a long label is not cut off by the frame.
          var longest = Math.max.apply(null, mine.map(function (m) { return String(m.label).length; }));
          var lx = Math.max(L + 4, R - 26 - 6.3 * longest);
          var ly = T + 14 + 14 * i;
          var key = { x1: lx, x2: lx + 18, y1: ly - 4, y2: ly - 4, stroke: c.color, "stroke-width": 2 };
          if (attrs["stroke-dasharray"]) { key["stroke-dasharray"] = attrs["stroke-dasharray"]; }
          el("line", key, g, true);
          el("text", { x: lx + 22, y: ly, "font-size": 11 }, g, true).textContent = c.label;
        }
      });
    });
  };

  // Columns by name: the point's index (the optimizer step, for a rate trace), the x value under the panel's axis name, then each curve
  // ("rate (lr)" for the learning rate). Values are rounded; data-exact and the tooltip keep
  // torch's float, and "exact values" shows it in place.
  Explorer.prototype.fillTable = function (curves, columns) {
    var table = this.table, exact = this.exact, panels = this.data.panels;
    while (table.firstChild) table.removeChild(table.firstChild);
    var cols = columns.map(function (i) { return curves[i]; }).filter(Boolean);
    if (!cols.length) return;
    var xName = (panels[cols[0].panel] || panels[0]).xlabel || "x";
    // A learning-rate trace holds one point per optimizer step, its x the (fractional) epoch.
    var indexName = xName === "epoch" ? "optimizer step" : "#";
    var head = el("tr", {}, el("thead", {}, table));
    // widgets.py's column_name: "rate (lr)", or the panel's quantity before a setting's label.
    function columnName(c) {
      var ylabel = (panels[c.panel] || {}).ylabel || "";
      if (c.label === "lr") return "rate (lr)";
      if (ylabel && ylabel !== "learning rate" && String(c.label).indexOf(ylabel) < 0) return ylabel + " (" + c.label + ")";
      return c.label;
    }
    [indexName, xName].concat(cols.map(columnName))
      .forEach(function (text) { el("th", { scope: "col" }, head).textContent = text; });
    var body = el("tbody", {}, table);
    var xs0 = cols[0].x, perEpoch = xs0.length > 1 && xs0[1] > xs0[0] ? Math.max(1, Math.round(1 / (xs0[1] - xs0[0]))) : 1;
    pickRows(cols[0].y.length, 12).forEach(function (i) {
      var row = el("tr", { "data-step": i }, body);
      el("td", {}, row).textContent = i;
      el("td", {}, row).textContent = xName === "epoch" ? epochText(cols[0].x[i], perEpoch) : rounded(cols[0].x[i]);
      cols.forEach(function (c) {
        var full = String(c.y[i]);
        el("td", { class: "lrc-number", "data-exact": full, title: full }, row).textContent = exact ? full : rounded(c.y[i]);
      });
    });
  };

  function start() {
    var roots = document.querySelectorAll("div.lrc-explorer[data-lrc-explorer]");
    for (var i = 0; i < roots.length; i++) {
      var root = roots[i];
      if (root.getAttribute("data-ready")) continue;
      var script = root.querySelector("script.lrc-explorer-data");
      if (!script) continue;
      new Explorer(root, JSON.parse(script.textContent));
      root.setAttribute("data-ready", "1");
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
