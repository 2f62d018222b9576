// "Continue where you left off": on a chapter page, remembers (in this browser's localStorage)
// the last section heading the reader scrolled past, and on the next visit offers a small
// "Continue at §N: <title>" link at the top of the page, which can be dismissed. The home page
// and the progress page (a div.lrc-continue-home placeholder) offer the last chapter read the
// same way. Nothing leaves the browser. No network, no dependencies.
(function () {
  "use strict";
  var PREFIX = "lrcourse.position.", LAST = "lrcourse.position.last";

  function read(key) {
    try { return JSON.parse(window.localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }
  function write(key, value) {
    try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* private mode */ }
  }

  // This page's path from the book's root ("notebooks/02_scheduler_family.html").
  function pagePath() {
    var root = new URL(document.documentElement.getAttribute("data-content_root") || "./", window.location.href);
    var path = window.location.pathname;
    return path.indexOf(root.pathname) === 0 ? path.slice(root.pathname.length) : path;
  }
  function rootUrl() {
    return new URL(document.documentElement.getAttribute("data-content_root") || "./", window.location.href);
  }

  function headingText(heading) {
    var copy = heading.cloneNode(true);
    copy.querySelectorAll(".headerlink").forEach(function (a) { a.remove(); });
    return copy.textContent.replace(/\s+/g, " ").trim();
  }
  // "3. The fifteen, from torch itself" -> "§3: The fifteen, from torch itself".
  function where(title) {
    var numbered = /^(\d+)\.\s+(.*)$/.exec(title);
    return numbered ? "§" + numbered[1] + ": " + numbered[2] : title;
  }

  function sections() {
    return Array.prototype.filter.call(
      document.querySelectorAll(".bd-article section[id] > h2"),
      function (h) { return h.offsetParent !== null; }
    );
  }

  function box(label) {
    var nav = document.createElement("nav");
    nav.className = "lrc-continue";
    nav.setAttribute("aria-label", label);
    return nav;
  }
  function dismissButton(nav, onDismiss) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "lrc-continue-dismiss";
    button.textContent = "Dismiss";
    button.addEventListener("click", function () { nav.hidden = true; onDismiss(); });
    return button;
  }

  // On a chapter page: offer the saved position, then keep it up to date while reading.
  function chapter() {
    var page = pagePath(), key = PREFIX + page, headings = sections();
    if (page.indexOf("notebooks/") !== 0 || headings.length < 2) { return; }
    var saved = read(key);
    var target = saved && saved.id ? document.getElementById(saved.id) : null;
    if (target && !saved.dismissed && !window.location.hash) {
      var nav = box("Continue reading");
      var link = document.createElement("a");
      link.href = "#" + saved.id;
      link.className = "lrc-continue-link";
      link.textContent = "Continue at " + where(saved.title);
      link.addEventListener("click", function () { nav.hidden = true; });
      nav.appendChild(link);
      nav.appendChild(dismissButton(nav, function () {
        saved.dismissed = true;
        write(key, saved);
      }));
      var article = document.querySelector(".bd-article");
      article.insertBefore(nav, article.firstChild);
    }
    var h1 = document.querySelector(".bd-article h1");
    var pageTitle = h1 ? headingText(h1) : document.title;
    var pending = false;
    function remember() {
      pending = false;
      var past = null, line = window.innerHeight * 0.25;
      headings.forEach(function (h) { if (h.getBoundingClientRect().top <= line) { past = h; } });
      if (!past) { return; }
      var id = past.parentElement.id, now = read(key);
      if (now && now.id === id) { return; }  // the same section: keep a dismissal as it is
      write(key, { id: id, title: headingText(past), page: page, pageTitle: pageTitle });
      write(LAST, page);
    }
    window.addEventListener("scroll", function () {
      if (!pending) { pending = true; window.setTimeout(remember, 150); }
    }, { passive: true });
  }

  // The home page and the dashboard: the last chapter read, at its section.
  function home() {
    document.querySelectorAll(".lrc-continue-home").forEach(function (slot) {
      var page = read(LAST), saved = page ? read(PREFIX + page) : null;
      if (!saved || !saved.id || saved.dismissed) { slot.hidden = true; return; }
      var nav = box("Continue reading the last chapter");
      var link = document.createElement("a");
      link.href = new URL(saved.page + "#" + saved.id, rootUrl()).href;
      link.className = "lrc-continue-link";
      link.textContent = "Continue reading " + saved.pageTitle + " at " + where(saved.title);
      nav.appendChild(link);
      nav.appendChild(dismissButton(nav, function () {
        saved.dismissed = true;
        write(PREFIX + page, saved);
      }));
      slot.textContent = "";
      slot.appendChild(nav);
      slot.hidden = false;
    });
  }

  function init() { chapter(); home(); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); }
  else { init(); }
})();
