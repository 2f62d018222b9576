// The course dashboard in the static book (lrcourse.progress()'s twin): fills each chapter's row
// from what quiz.js ("lrcourse.quiz.<bank>") and flashcards.js ("lrcourse.flashcard.<id>") saved
// in this browser's localStorage, forgets all of it on request (with an Undo), and exports and
// imports the portable progress file that JupyterLab reads and writes too. No network.
(function () {
  "use strict";
  var QUIZ_PREFIX = "lrcourse.quiz.", CARD_PREFIX = "lrcourse.flashcard.";

  function read(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function fmt(x) { return String(Number(x.toPrecision(6))); }

  function ids(row, name) { return JSON.parse(row.getAttribute(name) || "[]"); }
  function loadBank(bank) {
    var saved = null;
    try { saved = JSON.parse(read(QUIZ_PREFIX + bank) || "null"); } catch (e) { saved = null; }
    return saved && typeof saved === "object" ? saved : { version: 1, answers: {} };
  }

  function fill(dashboard) {
    var answeredAll = 0, gradedAll = 0, scoreAll = 0, knownAll = 0, cardsAll = 0;
    dashboard.querySelectorAll("tr[data-bank]").forEach(function (row) {
      var graded = ids(row, "data-ids"), inLab = ids(row, "data-lab-ids");
      var cards = ids(row, "data-cards");
      var answers = loadBank(row.getAttribute("data-bank")).answers || {};
      // Only this chapter's questions count here (answers carried from JupyterLab to code
      // questions are counted in the Lab's column).
      var answered = 0, score = 0, labDone = 0;
      graded.forEach(function (qid) {
        if (answers[qid]) { answered += 1; score += answers[qid].score || 0; }
      });
      inLab.forEach(function (qid) { if (answers[qid]) { labDone += 1; } });
      var known = cards.filter(function (id) { return read(CARD_PREFIX + id) === "known"; }).length;
      row.querySelector("[data-field=answered]").textContent = answered + " of " + graded.length;
      row.querySelector("[data-field=score]").textContent = fmt(score) + " / " + graded.length;
      row.querySelector("[data-field=known]").textContent = known + " of " + cards.length;
      row.querySelector("[data-field=lab]").textContent = labDone + " of " + inLab.length;
      answeredAll += answered; gradedAll += graded.length; scoreAll += score; knownAll += known; cardsAll += cards.length;
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

  // ------------------------------------------------------------------ the portable file
  // The format, and the merge rules, are lrcourse/quiz/transfer.py's (a browser test holds the
  // two to each other): {"format": "lrcourse-progress", "version": 1, "exported_at", "exported_from",
  // "banks": {bank: {qid: {"answer": {answer, score, correct, attempts, updated},
  // "explanation": {text, compared, updated}, "flashcard": {known, updated}}}}}. Only what the
  // learner entered and its score travel: never a key or a feedback text.
  var FORMAT = "lrcourse-progress", VERSION = 1, PARTS = ["answer", "explanation", "flashcard"];

  function records(dashboard) {
    var banks = {};
    function put(bank, qid, name, part) {
      banks[bank] = banks[bank] || {};
      banks[bank][qid] = banks[bank][qid] || {};
      banks[bank][qid][name] = part;
    }
    dashboard.querySelectorAll("tr[data-bank]").forEach(function (row) {
      var bank = row.getAttribute("data-bank"), state = loadBank(bank);
      Object.keys(state.answers || {}).forEach(function (qid) {
        var a = state.answers[qid];
        put(bank, qid, "answer", { answer: a.answer, score: Number(a.score) || 0, correct: !!a.correct,
                                   attempts: a.attempts || 1, updated: a.updated || null });
      });
      Object.keys(state.explanations || {}).forEach(function (qid) {
        var x = state.explanations[qid];
        if (typeof x.text !== "string" || !x.text) { return; }
        put(bank, qid, "explanation", { text: x.text, compared: !!x.compared, updated: x.updated || null });
      });
      ids(row, "data-cards").forEach(function (qid) {
        var mark = read(CARD_PREFIX + qid);
        if (mark === "known" || mark === "review") {
          put(bank, qid, "flashcard", { known: mark === "known", updated: null });
        }
      });
    });
    return banks;
  }

  function isObject(x) { return x !== null && typeof x === "object" && !Array.isArray(x); }

  // The records of a file's text, or an Error saying what is wrong (transfer.parse's messages).
  function parseFile(text) {
    var data;
    try { data = JSON.parse(text); } catch (e) { throw new Error("not JSON (" + e.message + ")"); }
    if (!isObject(data) || data.format !== FORMAT) {
      throw new Error('not an lrcourse progress file (no "format": "' + FORMAT + '")');
    }
    if (data.version !== VERSION) {
      throw new Error("progress file version " + JSON.stringify(data.version) + "; this book reads version " + VERSION);
    }
    if (!isObject(data.banks)) { throw new Error('"banks" is not an object'); }
    Object.keys(data.banks).forEach(function (bank) {
      if (!isObject(data.banks[bank])) { throw new Error("banks." + bank + " is not an object"); }
      Object.keys(data.banks[bank]).forEach(function (qid) {
        var where = "banks." + bank + "." + qid, parts = data.banks[bank][qid];
        if (!isObject(parts)) { throw new Error(where + " is not an object"); }
        Object.keys(parts).forEach(function (name) {
          if (PARTS.indexOf(name) < 0) { throw new Error(where + " has an unknown part '" + name + "'"); }
          var part = parts[name], at = where + "." + name;
          if (!isObject(part)) { throw new Error(at + " is not an object"); }
          if (part.updated !== undefined && part.updated !== null && typeof part.updated !== "string") {
            throw new Error(at + ".updated is not a time (ISO 8601 text) or null");
          }
          if (name === "answer") {
            if (!("answer" in part)) { throw new Error(at + " has no 'answer'"); }
            if (typeof part.score !== "number" || !(part.score >= 0 && part.score <= 1)) {
              throw new Error(at + ".score is " + JSON.stringify(part.score) + ", not a number between 0 and 1");
            }
            if (typeof part.correct !== "boolean") { throw new Error(at + ".correct is not true or false"); }
            if (part.attempts !== undefined && !(Number.isInteger(part.attempts) && part.attempts >= 1)) {
              throw new Error(at + ".attempts is not a count of 1 or more");
            }
          } else if (name === "explanation" && typeof part.text !== "string") {
            throw new Error(at + ".text is not text");
          } else if (name === "flashcard" && typeof part.known !== "boolean") {
            throw new Error(at + ".known is not true or false");
          }
        });
      });
    });
    return data.banks;
  }

  function time(part) { return part.updated || ""; }
  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  // [kept part, action, why]: transfer._pick's rules.
  function pick(name, mine, theirs) {
    if (name === "answer") {
      var attempts = Math.max(mine.attempts || 1, theirs.attempts || 1);
      var newest = (time(mine) > time(theirs) ? time(mine) : time(theirs)) || null;
      if (same(mine.answer, theirs.answer) && mine.score === theirs.score && mine.correct === theirs.correct) {
        return [Object.assign({}, mine, { attempts: attempts, updated: newest }), "same", ""];
      }
      var better, why;
      if (theirs.score !== mine.score) {
        better = theirs.score > mine.score;
        why = "score " + fmt(theirs.score) + " against " + fmt(mine.score);
      } else {
        better = time(theirs) > time(mine);
        why = "same score " + fmt(mine.score) + ", " + (better ? "newer" : "not newer");
      }
      return [Object.assign({}, better ? theirs : mine, { attempts: attempts }), better ? "replaced" : "kept", why];
    }
    if (same(mine, theirs) || (name === "explanation" && mine.text === theirs.text)) { return [mine, "same", ""]; }
    if (time(theirs) !== time(mine)) {
      var newer = time(theirs) > time(mine);
      return [newer ? theirs : mine, newer ? "replaced" : "kept", newer ? "newer" : "the saved one is newer"];
    }
    if (name === "flashcard") { return theirs.known ? [theirs, "replaced", "known"] : [mine, "kept", "known"]; }
    return [mine, "kept", "neither has a time"];
  }

  function merge(mine, theirs) {
    var merged = JSON.parse(JSON.stringify(mine)), changes = [];
    Object.keys(theirs).sort().forEach(function (bank) {
      Object.keys(theirs[bank]).sort().forEach(function (qid) {
        merged[bank] = merged[bank] || {};
        var into = merged[bank][qid] = merged[bank][qid] || {};
        Object.keys(theirs[bank][qid]).forEach(function (name) {
          var part = theirs[bank][qid][name];
          if (!(name in into)) {
            into[name] = part;
            changes.push({ bank: bank, question: qid, part: name, action: "added", why: "" });
            return;
          }
          var picked = pick(name, into[name], part);
          into[name] = picked[0];
          changes.push({ bank: bank, question: qid, part: name, action: picked[1], why: picked[2] });
        });
      });
    });
    return { records: merged, changes: changes };
  }

  // Write merged records into this browser's storage (the chapter quizzes and flashcards read it).
  function write(merged) {
    Object.keys(merged).forEach(function (bank) {
      var state = loadBank(bank);
      state.answers = state.answers || {};
      state.explanations = state.explanations || {};
      Object.keys(merged[bank]).forEach(function (qid) {
        var parts = merged[bank][qid];
        if (parts.answer) { state.answers[qid] = parts.answer; }
        if (parts.explanation) { state.explanations[qid] = parts.explanation; }
        if (parts.flashcard) {
          try { window.localStorage.setItem(CARD_PREFIX + qid, parts.flashcard.known ? "known" : "review"); } catch (e) { /* full */ }
        }
      });
      try { window.localStorage.setItem(QUIZ_PREFIX + bank, JSON.stringify(state)); } catch (e) { /* full */ }
    });
  }

  function describe(change) {
    return change.bank + " " + change.question + " " + change.part + ": " + change.action +
      (change.why ? " (" + change.why + ")" : "");
  }
  function count(changes, action) { return changes.filter(function (c) { return c.action === action; }).length; }

  // Exposed so a browser test can hold the rules to transfer.py's, case by case.
  window.lrcourseProgress = { parseFile: parseFile, merge: merge };

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
        var data = { format: FORMAT, version: VERSION, exported_at: new Date().toISOString(),
                     exported_from: "book", banks: records(dashboard) };
        var link = document.createElement("a");
        link.href = URL.createObjectURL(new Blob([JSON.stringify(data, null, 1)], { type: "application/json" }));
        link.download = "lrcourse-progress.json";
        document.body.appendChild(link);
        link.click();
        link.remove();
        message.textContent = "Saved lrcourse-progress.json: import it in another browser, or in JupyterLab " +
          "with lrcourse.import_progress(\"lrcourse-progress.json\").";
      });
      var preview = actions.querySelector(".lrc-dashboard-preview");
      var input = actions.querySelector(".lrc-dashboard-import input");
      var pending = null;  // the merge waiting for Apply
      function closePreview() { preview.hidden = true; pending = null; input.value = ""; }
      input.addEventListener("change", function (event) {
        var file = event.target.files && event.target.files[0];
        if (!file) { return; }
        file.text().then(function (text) {
          var theirs;
          try { theirs = parseFile(text); } catch (e) {
            closePreview();
            message.textContent = file.name + ": " + (e.message || "unreadable") + "; nothing was changed.";
            return;
          }
          var result = merge(records(dashboard), theirs);
          var list = preview.querySelector("ul");
          list.textContent = "";
          result.changes.forEach(function (change) {
            if (change.action === "same") { return; }
            var item = document.createElement("li");
            item.textContent = describe(change);
            list.appendChild(item);
          });
          pending = { result: result, name: file.name };
          preview.hidden = false;
          message.textContent = file.name + ": " + count(result.changes, "added") + " to add, " +
            count(result.changes, "replaced") + " to replace, " + count(result.changes, "kept") +
            " kept as saved (better or newer), " + count(result.changes, "same") +
            " already the same. Nothing is changed until you apply it.";
          preview.querySelector(".lrc-dashboard-apply").focus();
        });
      });
      preview.querySelector(".lrc-dashboard-apply").addEventListener("click", function () {
        if (!pending) { return; }
        var result = pending.result, name = pending.name;
        before = snapshot();
        write(result.records);
        closePreview();
        undo.hidden = false;
        fill(dashboard);
        message.textContent = "Imported " + name + ": " + count(result.changes, "added") + " added, " +
          count(result.changes, "replaced") + " replaced, " + count(result.changes, "kept") +
          " kept as saved. Undo brings back what was here before.";
      });
      preview.querySelector(".lrc-dashboard-cancel").addEventListener("click", function () {
        closePreview();
        message.textContent = "Import cancelled; nothing was changed.";
      });
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); }
  else { init(); }
})();
