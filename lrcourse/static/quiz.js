// lrcourse quizzes in the static book: grades choice, numeric and predict questions in the
// browser, with the same rules as lrcourse/quiz/check.py (partial credit for select-all,
// tolerance for numbers, token-wise comparison of printed output). No network, no dependencies.
(function () {
  "use strict";
  var NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
  var OUTPUT_REL_TOL = 1e-6;

  function tokens(text) {
    return text.trim().split(/[\s,\[\]\(\)]+/).filter(function (t) { return t.length > 0; });
  }

  function asNumber(token) {
    // 1e999 reads as Infinity, which no tolerance can compare: it must match as text.
    var value = NUMBER.test(token) ? parseFloat(token) : NaN;
    return isFinite(value) ? value : null;
  }

  function sameOutput(expected, given) {
    var a = tokens(expected), b = tokens(given);
    if (a.length !== b.length) { return false; }
    for (var i = 0; i < a.length; i++) {
      var x = asNumber(a[i]), y = asNumber(b[i]);
      if (x !== null && y !== null) {
        if (x !== y && Math.abs(x - y) > OUTPUT_REL_TOL * Math.max(Math.abs(x), Math.abs(y))) {
          return false;
        }
      } else if (a[i] !== b[i]) {
        return false;
      }
    }
    return true;
  }

  function fmt(x) { return String(Number(x.toPrecision(6))); }

  function grade(section, key) {
    var type = key.type;
    if (type === "single" || type === "multiple") {
      var picked = [];
      section.querySelectorAll("input:checked").forEach(function (i) { picked.push(i.value); });
      if (picked.length === 0) { return { score: 0, correct: false, text: "Pick an option first.", empty: true }; }
      var right = key.answers;
      var hits = picked.filter(function (p) { return right.indexOf(p) >= 0; }).length;
      var misses = picked.length - hits;
      var correct = hits === right.length && misses === 0;
      var score = Math.max(0, (hits - misses) / right.length);
      var notes = picked.map(function (p) { return key.feedback[p]; });
      var lead;
      if (type === "single") { lead = correct ? "Right." : "Not quite."; }
      else if (correct) { lead = "Right: exactly the true statements."; }
      else { lead = "Partly right: score " + score.toFixed(2) + " (" + hits + " of " + right.length + " right options picked, " + misses + " wrong)."; }
      return { score: score, correct: correct, text: lead, notes: notes };
    }
    var input = section.querySelector(".lrquiz-input");
    var typed = input.value;
    if (type === "numeric") {
      var value = asNumber(typed.trim());
      if (value === null) { return { score: 0, correct: false, text: "'" + typed + "' is not a number: type e.g. 0.05 or 5e-2." }; }
      var allowed = Math.max(key.abs, key.rel * Math.abs(key.key));
      if (Math.abs(value - key.key) <= allowed) { return { score: 1, correct: true, text: "Right: " + fmt(key.key) + "." }; }
      return { score: 0, correct: false, text: "Not quite: " + typed.trim() + " is " + (value > key.key ? "too high." : "too low.") };
    }
    if (sameOutput(key.output, typed)) { return { score: 1, correct: true, text: "Right: that is exactly what torch prints." }; }
    var want = tokens(key.output).length, got = tokens(typed).length;
    if (want !== got) { return { score: 0, correct: false, text: "Not quite: torch prints " + want + " value(s), you wrote " + got + "." }; }
    return { score: 0, correct: false, text: "Not quite: at least one value differs from what torch prints." };
  }

  function updateScore(quiz) {
    var label = quiz.querySelector(".lrquiz-score");
    if (!label) { return; }
    var total = 0, answered = 0;
    quiz.querySelectorAll(".lrquiz-q[data-score]").forEach(function (q) {
      total += parseFloat(q.getAttribute("data-score")); answered += 1;
    });
    label.textContent = "Score: " + fmt(total) + " / " + label.getAttribute("data-graded") +
      " (" + answered + " answered)";
  }

  function show(section, result) {
    var box = section.querySelector(".lrquiz-feedback");
    box.className = "lrquiz-feedback " + (result.empty ? "" : (result.correct ? "lrquiz-right" : (result.score > 0 ? "lrquiz-partial" : "lrquiz-wrong")));
    box.textContent = "";
    var lead = document.createElement("p");
    lead.textContent = result.text;
    box.appendChild(lead);
    if (result.notes && result.notes.length) {
      var list = document.createElement("ul");
      result.notes.forEach(function (html) {
        var item = document.createElement("li");
        item.innerHTML = html;  // rendered from the bank's Markdown at build time
        list.appendChild(item);
      });
      box.appendChild(list);
    }
  }

  function setUp(section) {
    var data = section.querySelector("script.lrquiz-self-check");
    var button = section.querySelector(".lrquiz-check");
    if (!data || !button) { return; }
    var key = JSON.parse(data.textContent);
    var quiz = section.closest(".lrquiz");
    button.addEventListener("click", function () {
      var result = grade(section, key);
      show(section, result);
      if (!result.empty) { section.setAttribute("data-score", String(result.score)); }
      if (quiz) { updateScore(quiz); }
    });
    var input = section.querySelector("input.lrquiz-input");
    if (input) {
      input.addEventListener("keydown", function (event) {
        if (event.key === "Enter") { event.preventDefault(); button.click(); }
      });
    }
  }

  // Exposed so a browser test can hold this rule to check.py's same_output, case by case.
  window.lrcourseQuiz = { sameOutput: sameOutput, grade: grade };

  function init() {
    document.querySelectorAll(".lrquiz-q").forEach(setUp);
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); }
  else { init(); }
})();
