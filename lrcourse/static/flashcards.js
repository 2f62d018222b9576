// Flashcards in the static book: arrow keys move between cards; "knew it" / "review again" marks
// live in this browser's localStorage. Without this script every card still turns (it is a
// <details> element), so the page works with scripts off too. No network, no dependencies.
(function () {
  "use strict";
  var STORAGE_PREFIX = "lrcourse.flashcard.";

  function load(id) {
    try { return window.localStorage.getItem(STORAGE_PREFIX + id); } catch (e) { return null; }
  }
  function save(id, mark) {
    try { window.localStorage.setItem(STORAGE_PREFIX + id, mark); } catch (e) { /* private mode */ }
  }

  function updateCount(deck) {
    var cards = deck.querySelectorAll(".lrc-card");
    var known = deck.querySelectorAll(".lrc-card[data-mark='known']").length;
    var label = deck.querySelector(".lrc-deck-count");
    if (label) { label.textContent = "(" + cards.length + " cards, " + known + " known)"; }
  }

  function applyMark(card, mark) {
    card.setAttribute("data-mark", mark);
    var buttons = card.querySelectorAll(".lrc-card-mark");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute("aria-pressed", String(buttons[i].getAttribute("data-mark") === mark));
    }
  }

  function addMarkButtons(card, deck) {
    var id = card.getAttribute("data-card-id");
    var bar = document.createElement("div");
    bar.className = "lrc-card-marks";
    [["known", "I knew it"], ["review", "Review again"]].forEach(function (pair) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "lrc-card-mark";
      button.setAttribute("data-mark", pair[0]);
      button.setAttribute("aria-pressed", "false");
      button.textContent = pair[1];
      button.addEventListener("click", function () {
        applyMark(card, pair[0]);
        save(id, pair[0]);
        updateCount(deck);
      });
      bar.appendChild(button);
    });
    card.querySelector(".lrc-card-back").appendChild(bar);
    var stored = load(id);
    if (stored === "known" || stored === "review") { applyMark(card, stored); }
  }

  function onKey(event, summaries) {
    var keys = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 };
    var delta = keys[event.key];
    if (!delta) { return; }
    var index = summaries.indexOf(event.currentTarget);
    var next = summaries[index + delta];
    if (next) { event.preventDefault(); next.focus(); }
  }

  function init() {
    var roots = document.querySelectorAll(".lrc-flashcards");
    for (var r = 0; r < roots.length; r++) {
      var root = roots[r];
      if (root.getAttribute("data-ready")) { continue; }
      root.setAttribute("data-ready", "1");
      var decks = root.querySelectorAll(".lrc-deck");
      for (var d = 0; d < decks.length; d++) {
        var cards = decks[d].querySelectorAll(".lrc-card");
        for (var c = 0; c < cards.length; c++) { addMarkButtons(cards[c], decks[d]); }
        updateCount(decks[d]);
      }
      var summaries = Array.prototype.slice.call(root.querySelectorAll(".lrc-card > summary"));
      summaries.forEach(function (summary) {
        summary.addEventListener("keydown", function (event) { onKey(event, summaries); });
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
