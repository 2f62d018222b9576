// The course dashboard in the static book (lrcourse.progress()'s twin): fills each chapter's row
// from what quiz.js ("lrcourse.quiz.<bank>") and flashcards.js ("lrcourse.flashcard.<id>") saved
// in this browser's localStorage, and forgets all of it on request. No network.
(function () {
  "use strict";
  var QUIZ_PREFIX = "lrcourse.quiz.", CARD_PREFIX = "lrcourse.flashcard.";

  function read(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function fmt(x) { return String(Number(x.toPrecision(6))); }

  function fill(dashboard) {
    var answeredAll = 0, gradedAll = 0, scoreAll = 0, knownAll = 0, cardsAll = 0;
    dashboard.querySelectorAll("tr[data-bank]").forEach(function (row) {
      var graded = parseInt(row.getAttribute("data-graded"), 10);
      var cards = JSON.parse(row.getAttribute("data-cards"));
      var saved = null;
      try { saved = JSON.parse(read(QUIZ_PREFIX + row.getAttribute("data-bank")) || "null"); } catch (e) { saved = null; }
      var answered = 0, score = 0;
      if (saved && saved.answers) {
        Object.keys(saved.answers).forEach(function (qid) { answered += 1; score += saved.answers[qid].score || 0; });
      }
      var known = cards.filter(function (id) { return read(CARD_PREFIX + id) === "known"; }).length;
      row.querySelector("[data-field=answered]").textContent = answered + " of " + graded;
      row.querySelector("[data-field=score]").textContent = fmt(score) + " / " + graded;
      row.querySelector("[data-field=known]").textContent = known + " of " + cards.length;
      answeredAll += answered; gradedAll += graded; scoreAll += score; knownAll += known; cardsAll += cards.length;
    });
    var total = dashboard.querySelector(".lrc-dashboard-total");
    if (total) {
      total.textContent = "Whole course: " + answeredAll + " of " + gradedAll + " questions answered, score " +
        fmt(scoreAll) + " / " + gradedAll + ", " + knownAll + " of " + cardsAll + " flashcards known.";
    }
  }

  function ours(key) { return key.indexOf(QUIZ_PREFIX) === 0 || key.indexOf(CARD_PREFIX) === 0; }

  // Everything this course saved in this browser, as {key: value}.
  function snapshot() {
    var saved = {};
    try {
      for (var i = 0; i < window.localStorage.length; i++) {
        var key = window.localStorage.key(i);
        if (ours(key)) { saved[key] = window.localStorage.getItem(key); }
      }
    } catch (e) { /* nothing was stored */ }
    return saved;
  }

  function forgetAll() {
    var before = snapshot();
    Object.keys(before).forEach(function (key) {
      try { window.localStorage.removeItem(key); } catch (e) { /* gone already */ }
    });
    return before;
  }

  function restore(saved) {
    Object.keys(saved).forEach(function (key) {
      if (ours(key)) { try { window.localStorage.setItem(key, saved[key]); } catch (e) { /* full */ } }
    });
  }

  // An exported file: {"lrcourse-progress": 1, "saved": {key: value}}; only the course's keys
  // are read back, and a file that is not one is refused with a message (nothing changes).
  function parseExport(text) {
    var data = JSON.parse(text);
    if (!data || data["lrcourse-progress"] !== 1 || typeof data.saved !== "object") {
      throw new Error("not an lrcourse progress file");
    }
    var saved = {};
    Object.keys(data.saved).forEach(function (key) {
      if (ours(key) && typeof data.saved[key] === "string") { saved[key] = data.saved[key]; }
    });
    return saved;
  }

  function init() {
    document.querySelectorAll(".lrc-dashboard").forEach(function (dashboard) {
      fill(dashboard);
      var actions = dashboard.querySelector(".lrc-dashboard-actions");
      if (!actions) { return; }
      actions.hidden = false;
      var message = actions.querySelector(".lrc-dashboard-message");
      var undo = actions.querySelector(".lrc-dashboard-undo");
      var before = null;  // what an Undo brings back: everything saved before the last change
      actions.querySelector(".lrc-dashboard-reset").addEventListener("click", function () {
        before = forgetAll();
        fill(dashboard);
        undo.hidden = Object.keys(before).length === 0;
        message.textContent = undo.hidden ? "Nothing was saved in this browser." :
          "Forgotten. Undo brings every answer and mark back (until you leave this page).";
      });
      undo.addEventListener("click", function () {
        if (before) { forgetAll(); restore(before); before = null; }
        undo.hidden = true;
        fill(dashboard);
        message.textContent = "Brought back.";
      });
      actions.querySelector(".lrc-dashboard-export").addEventListener("click", function () {
        var text = JSON.stringify({ "lrcourse-progress": 1, saved: snapshot() }, null, 1);
        var link = document.createElement("a");
        link.href = URL.createObjectURL(new Blob([text], { type: "application/json" }));
        link.download = "lrcourse-progress.json";
        document.body.appendChild(link);
        link.click();
        link.remove();
        message.textContent = "Saved lrcourse-progress.json: import it in another browser.";
      });
      actions.querySelector(".lrc-dashboard-import input").addEventListener("change", function (event) {
        var file = event.target.files && event.target.files[0];
        if (!file) { return; }
        file.text().then(function (text) {
          var saved;
          try { saved = parseExport(text); } catch (e) {
            message.textContent = file.name + ": " + (e.message || "unreadable") + "; nothing was changed.";
            return;
          }
          before = snapshot();
          restore(saved);
          undo.hidden = false;
          fill(dashboard);
          message.textContent = "Imported " + Object.keys(saved).length + " saved item(s) from " + file.name + ".";
        });
      });
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); }
  else { init(); }
})();
