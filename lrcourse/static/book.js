// Page-level helpers for the book: predict-then-reveal outputs, keyboard access to boxes that
// scroll sideways, column names for the cheat sheet's phone layout, and one search for
// "warm-up" and "warmup". No network.
/* global Search */
(function () {
  "use strict";

  // An output right below a "Predict" prompt stays behind a summary until the learner clicks:
  // the prompt asks for a prediction, so the answer must not sit in view. What follows it up to
  // and including the next output (the figure or table that shows the same answer again, and
  // the prose between) is folded with it, and opens with the same click. The fold stops at a
  // heading, at the next prompt and at an interactive output (explorers and quizzes stay open:
  // moving them is the experiment).
  function interactive(node) {
    return node.querySelector && node.querySelector(".lrc-explorer, .lrquiz, input, select, textarea");
  }
  function stopsFold(node) {
    return /^H[1-6]$/.test(node.tagName) || node.tagName === "SECTION" ||
      (node.tagName === "P" && node.firstElementChild && node.firstElementChild.tagName === "STRONG") ||
      interactive(node);
  }
  function collapsePredictions() {
    document.querySelectorAll(".bd-article p > strong:first-child").forEach(function (strong) {
      if (!/^Predict/.test(strong.textContent.trim())) { return; }
      var node = strong.parentElement.nextElementSibling;
      while (node && !(node.classList.contains("cell") && node.querySelector(".cell_output"))) {
        if (/^H[1-6]$/.test(node.tagName) || node.tagName === "SECTION" || node.querySelector("p > strong:first-child")) { return; }
        node = node.nextElementSibling;
      }
      if (!node) { return; }
      var output = node.querySelector(".cell_output");
      if (output.closest(".lrc-reveal") || interactive(output)) { return; }
      var details = document.createElement("details");
      details.className = "lrc-reveal";
      var summary = document.createElement("summary");
      summary.textContent = "Show the output (make your prediction first)";
      details.appendChild(summary);
      output.parentNode.insertBefore(details, output);
      details.appendChild(output);
      // What else answers it: the following nodes up to and including the next output.
      var folded = [];
      var next = node.nextElementSibling;
      while (next && !stopsFold(next)) {
        folded.push(next);
        if (next.classList.contains("cell") && next.querySelector(".cell_output")) { break; }
        next = next.nextElementSibling;
      }
      if (!folded.length) { return; }
      folded.forEach(function (n) { n.hidden = true; n.classList.add("lrc-folded"); });
      var note = document.createElement("p");
      note.className = "lrc-folded-note";
      note.textContent = "The rest of this step (it shows the answer) opens with the output above.";
      node.parentNode.insertBefore(note, folded[0]);
      details.addEventListener("toggle", function () {
        folded.forEach(function (n) { n.hidden = !details.open; });
        note.hidden = details.open;
      });
    });
  }

  // A box that scrolls sideways must be reachable by keyboard (WCAG 2.1.1, axe's
  // scrollable-region-focusable): give it a tab stop only when it does scroll at this width.
  function focusableScrollers() {
    document.querySelectorAll(".bd-article pre, .bd-article .table-wrapper, .bd-content div.cell_output, .bd-content div.cell_input")
      .forEach(function (box) {
        var scrolls = box.scrollWidth > box.clientWidth + 1 && getComputedStyle(box).overflowX !== "visible";
        // Sphinx gives code boxes tabindex="-1" (no tab stop): a box that scrolls needs one.
        var tabindex = box.getAttribute("tabindex");
        if (scrolls && (tabindex === null || tabindex === "-1")) {
          box.setAttribute("tabindex", "0");
          box.setAttribute("data-lrc-scroll", tabindex === null ? "none" : tabindex);
        } else if (!scrolls && box.getAttribute("data-lrc-scroll")) {
          var before = box.getAttribute("data-lrc-scroll");  // what the box had before: put back
          if (before === "none") { box.removeAttribute("tabindex"); } else { box.setAttribute("tabindex", before); }
          box.removeAttribute("data-lrc-scroll");
        }
      });
  }

  function labelCheatSheet() {
    document.querySelectorAll(".tag_cheat-sheet table").forEach(function (table) {
      var names = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) { return th.textContent.trim(); });
      table.querySelectorAll("tbody tr").forEach(function (row) {
        Array.prototype.forEach.call(row.children, function (cell, i) {
          if (names[i]) { cell.setAttribute("data-label", names[i]); }
        });
      });
    });
  }

  // Search: the index holds every hyphenated word joined as well (book/_ext/search_compounds.py),
  // so a query's "warm-up" is searched as "warmup" and both spellings find the same pages.
  // Sphinx's searchtools.js declares `const Search` (not a window property) and starts searching
  // on DOMContentLoaded, after this script's own DOMContentLoaded handler has patched it.
  function joinCompoundsInSearch() {
    if (typeof Search === "undefined" || typeof Search.performSearch !== "function") { return; }
    var performSearch = Search.performSearch;
    Search.performSearch = function (query) {
      return performSearch(String(query).replace(/\w+(?:-\w+)+/g, function (word) { return word.replace(/-/g, ""); }));
    };
  }

  // sphinx-book-theme watches full-width and margin elements and then toggles the secondary
  // sidebar, which a page without sections (the cheat sheet) does not have: its observer threw
  // "Cannot read properties of null (reading 'classList')". An empty, hidden one keeps it quiet.
  function secondarySidebarForTheTheme() {
    if (!document.querySelector("div.bd-sidebar-secondary") && document.querySelector(".tag_full-width, .full-width, .margin, .tag_margin")) {
      var stub = document.createElement("div");
      stub.className = "bd-sidebar-secondary";
      stub.hidden = true;
      document.body.appendChild(stub);
    }
  }

  // A figure is drawn at twice its display size; on a phone a three-panel figure is shown small,
  // so a tap opens the image itself, where the reader can zoom.
  function zoomableFigures() {
    document.querySelectorAll(".bd-article div.cell_output img").forEach(function (img) {
      // A figure shown below its drawn size is already a link to the image (Sphinx's
      // image-reference): that link is the tap target.
      var sphinxLink = img.closest("a.image-reference");
      if (sphinxLink) {
        sphinxLink.classList.add("lrc-figure-link");
        sphinxLink.title = "Open the figure at full size";
        return;
      }
      if (img.closest("a") || !img.getAttribute("src")) { return; }
      var link = document.createElement("a");
      link.href = img.getAttribute("src");
      link.className = "lrc-figure-link";
      link.title = "Open the figure at full size";
      img.parentNode.insertBefore(link, img);
      link.appendChild(img);
    });
  }

  function init() {
    zoomableFigures();
    secondarySidebarForTheTheme();
    joinCompoundsInSearch();
    collapsePredictions();
    labelCheatSheet();
    focusableScrollers();
    window.addEventListener("resize", focusableScrollers);
    // A box inside a fold has no width until the fold opens: look again whenever one opens.
    document.addEventListener("toggle", focusableScrollers, true);
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); }
  else { init(); }
})();
