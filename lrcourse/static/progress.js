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

  function forgetAll() {
    try {
      var keys = [];
      for (var i = 0; i < window.localStorage.length; i++) { keys.push(window.localStorage.key(i)); }
      keys.forEach(function (key) {
        if (key.indexOf(QUIZ_PREFIX) === 0 || key.indexOf(CARD_PREFIX) === 0) { window.localStorage.removeItem(key); }
      });
    } catch (e) { /* nothing was stored */ }
  }

  function init() {
    document.querySelectorAll(".lrc-dashboard").forEach(function (dashboard) {
      fill(dashboard);
      var reset = dashboard.querySelector(".lrc-dashboard-reset");
      if (reset) {
        reset.hidden = false;
        reset.addEventListener("click", function () { forgetAll(); fill(dashboard); });
      }
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); }
  else { init(); }
})();
