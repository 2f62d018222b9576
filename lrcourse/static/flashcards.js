// Flashcards in the static book: arrow keys move between cards; "knew it" / "review again" marks
// live in this browser's localStorage. Each mark also moves the card between five Leitner boxes
// ("knew it": one box up; "review again": back to box 1); a card in box b is due again after
// INTERVAL_DAYS[b] days. Each deck can be shuffled, or put in review order (due cards first,
// lowest box first, shuffled within a box; cards not yet due are hidden until "Show all").
// Without this script every card still turns (it is a <details> element), so the page works with
// scripts off too. No network, no dependencies.
(function () {
  "use strict";
  var STORAGE_PREFIX = "lrcourse.flashcard.";
  var BOX_PREFIX = "lrcourse.flashcard-box.";
  var BOXES = 5;
  var INTERVAL_DAYS = [0, 0, 1, 3, 7, 14];  // by box; box 1 is due at once
  var DAY_MS = 86400000;

  function today() { return Math.floor(Date.now() / DAY_MS); }
  function loadBox(id) {
    try {
      var data = JSON.parse(window.localStorage.getItem(BOX_PREFIX + id) || "null");
      if (data && data.box >= 1 && data.box <= BOXES && typeof data.day === "number") { return data; }
    } catch (e) { /* unreadable: a new card */ }
    return { box: 1, day: null };
  }
  function saveBox(id, data) {
    try { window.localStorage.setItem(BOX_PREFIX + id, JSON.stringify(data)); } catch (e) { /* private mode */ }
  }
  function isDue(data) { return data.day === null || today() >= data.day + INTERVAL_DAYS[data.box]; }
  function showBox(card) {
    var data = loadBox(card.getAttribute("data-card-id"));
    card.setAttribute("data-box", String(data.box));
    card.setAttribute("data-due", isDue(data) ? "1" : "0");
    var label = card.querySelector(".lrc-card-box");
    if (!label) {
      label = document.createElement("span");
      label.className = "lrc-card-box";
      card.querySelector("summary").appendChild(label);
    }
    var wait = data.day === null ? 0 : data.day + INTERVAL_DAYS[data.box] - today();
    label.textContent = "Box " + data.box + " of " + BOXES + (wait > 0 ? " · due in " + wait + (wait === 1 ? " day" : " days") : " · due now");
  }
  function moveBox(card, mark) {
    var id = card.getAttribute("data-card-id");
    var data = loadBox(id);
    var box = mark === "known" ? Math.min(BOXES, data.box + 1) : 1;
    saveBox(id, { box: box, day: today() });
    showBox(card);
  }

  function shuffled(items) {
    var out = items.slice();
    for (var i = out.length - 1; i > 0; i--) {
      var j = Math.floor(Math.random() * (i + 1));
      var t = out[i]; out[i] = out[j]; out[j] = t;
    }
    return out;
  }
  function reorder(deck, cards) {
    var parent = cards.length ? cards[0].parentNode : null;
    cards.forEach(function (card) { parent.appendChild(card); });
  }
  function cardsOf(deck) { return Array.prototype.slice.call(deck.querySelectorAll(".lrc-card")); }
  function say(deck, text) { var s = deck.querySelector(".lrc-deck-status"); if (s) { s.textContent = text; } }

  function addDeckTools(deck) {
    var bar = document.createElement("div");
    bar.className = "lrc-deck-tools";
    var status = document.createElement("p");
    status.className = "lrc-deck-status";
    status.setAttribute("role", "status");
    [["shuffle", "Shuffle"], ["review", "Review due cards"], ["all", "Show all"]].forEach(function (pair) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "lrc-deck-tool";
      button.setAttribute("data-tool", pair[0]);
      button.textContent = pair[1];
      button.addEventListener("click", function () {
        var cards = cardsOf(deck);
        cards.forEach(showBox);
        if (pair[0] === "shuffle") {
          reorder(deck, shuffled(cards));
          cards.forEach(function (c) { c.hidden = false; });
          say(deck, "Shuffled: " + cards.length + " cards.");
        } else if (pair[0] === "review") {
          var due = shuffled(cards.filter(function (c) { return c.getAttribute("data-due") === "1"; }));
          due.sort(function (a, b) { return Number(a.getAttribute("data-box")) - Number(b.getAttribute("data-box")); });
          var rest = cards.filter(function (c) { return due.indexOf(c) < 0; });
          reorder(deck, due.concat(rest));
          due.forEach(function (c) { c.hidden = false; });
          rest.forEach(function (c) { c.hidden = true; });
          say(deck, due.length + " of " + cards.length + " cards due now, lowest box first.");
        } else {
          cards.forEach(function (c) { c.hidden = false; });
          say(deck, "All " + cards.length + " cards shown.");
        }
      });
      bar.appendChild(button);
    });
    var first = deck.querySelector(".lrc-card");
    if (first) { first.parentNode.insertBefore(bar, first); bar.parentNode.insertBefore(status, first); }
  }

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
        moveBox(card, pair[0]);
        updateCount(deck);
      });
      bar.appendChild(button);
    });
    card.querySelector(".lrc-card-back").appendChild(bar);
    var stored = load(id);
    if (stored === "known" || stored === "review") { applyMark(card, stored); }
    showBox(card);
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
        addDeckTools(decks[d]);
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
