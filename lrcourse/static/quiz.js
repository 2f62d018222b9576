// lrcourse quizzes in the static book: grades choice, numeric and predict questions in the
// browser with lrcourse/quiz/check.py's rules (the shared parser lives in answers.js), saves each
// answer and score per chapter in this browser's localStorage, restores them on reload, and keeps
// worked solutions closed until the learner has tried. No network, no dependencies.
(function () {
  "use strict";
  var A = window.lrcourseAnswers;
  var STORAGE_PREFIX = "lrcourse.quiz.";

  function fmt(x) { return String(Number(x.toPrecision(6))); }

  function load(bank) {
    try {
      var data = JSON.parse(window.localStorage.getItem(STORAGE_PREFIX + bank) || "null");
      return data && data.answers ? data : { version: 1, answers: {} };
    } catch (e) { return { version: 1, answers: {} }; }
  }
  function store(bank, data) {
    try { window.localStorage.setItem(STORAGE_PREFIX + bank, JSON.stringify(data)); }
    catch (e) { /* private mode or full: the quiz still works, it just forgets */ }
  }
  function forget(bank) {
    try { window.localStorage.removeItem(STORAGE_PREFIX + bank); } catch (e) { /* nothing kept */ }
  }

  function answerOf(section, key) {
    if (key.type === "single" || key.type === "multiple") {
      var picked = [];
      section.querySelectorAll("input:checked").forEach(function (i) { picked.push(i.value); });
      return picked;
    }
    return section.querySelector(".lrquiz-input").value;
  }

  function setAnswer(section, key, answer) {
    if (key.type === "single" || key.type === "multiple") {
      section.querySelectorAll("input").forEach(function (i) { i.checked = answer.indexOf(i.value) >= 0; });
    } else {
      section.querySelector(".lrquiz-input").value = answer;
    }
  }

  function grade(key, answer) {
    var type = key.type;
    if (A.isBlank(answer)) {
      var ask = (type === "single" || type === "multiple") ? "Pick an option first." : "Type an answer first.";
      return { score: 0, correct: false, text: ask, empty: true };
    }
    if (type === "single" || type === "multiple") {
      var notes = answer.map(function (p) { return key.feedback[p]; });
      if (type === "single") {
        var right = answer[0] === key.answers[0];
        var verdictWord = right ? "Right" : "Not quite";
        var note = notes[0] || "";
        // "Right. Right: the update…": when the option's feedback opens with the verdict, it is the
        // verdict (said once, as the Lab widget does).
        if (note.replace(/<[^>]*>/g, "").indexOf(verdictWord) === 0) {
          return { score: right ? 1 : 0, correct: right, text: "", leadHtml: note, notes: [] };
        }
        return { score: right ? 1 : 0, correct: right, text: verdictWord + ".", notes: notes };
      }
      var result = A.gradeMultiple(key.answers, answer);
      result.notes = notes;
      return result;
    }
    // A format slip (1,6 · lr = 1.6 · 1 - 0.001) is a message, not an attempt: like a blank answer
    // it is not scored, not saved and does not open the solution.
    var slip = A.formatProblem(type, answer, key.output);
    if (slip) { return { score: 0, correct: false, text: slip, empty: true }; }
    if (type === "numeric") {
      var value = A.parseNumber(answer);
      var allowed = Math.max(key.abs, key.rel * Math.abs(key.key));
      if (Math.abs(value - key.key) <= allowed) { return { score: 1, correct: true, text: "Right: " + fmt(key.key) + "." }; }
      return { score: 0, correct: false, text: "Not quite: " + fmt(value) + " is " + (value > key.key ? "too high." : "too low.") };
    }
    if (A.sameOutput(key.output, answer)) { return { score: 1, correct: true, text: "Right: that is exactly what torch prints." }; }
    var want = A.answerTokens(key.output).length, got = A.answerTokens(answer).length;
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
    summarize(quiz, answered === parseInt(label.getAttribute("data-graded"), 10));
  }

  // Once every graded question has an answer: what to review, grouped by the chapter section a
  // question names (`section:` in its bank; data-section here), each question linked too.
  function summarize(quiz, complete) {
    var box = quiz.querySelector(".lrquiz-summary");
    if (!complete) { if (box) { box.hidden = true; } return; }
    if (!box) {
      box = document.createElement("div");
      box.className = "lrquiz-summary";
      var label = quiz.querySelector(".lrquiz-score");
      label.parentNode.insertBefore(box, label.nextSibling);
    }
    box.hidden = false;
    box.textContent = "";
    var groups = [], bySection = {};
    quiz.querySelectorAll(".lrquiz-q[data-score]").forEach(function (q) {
      if (parseFloat(q.getAttribute("data-score")) >= 1) { return; }
      var id = q.getAttribute("data-section") || "";
      var heading = id ? document.getElementById(id) : null;
      if (!heading) { id = ""; }
      if (!(id in bySection)) { bySection[id] = { id: id, heading: heading, questions: [] }; groups.push(bySection[id]); }
      bySection[id].questions.push(q);
    });
    var title = document.createElement("p");
    title.className = "lrquiz-summary-title";
    title.textContent = groups.length ? "All answered. To review:" : "All answered, all right: nothing to review.";
    box.appendChild(title);
    if (!groups.length) { return; }
    var list = document.createElement("ul");
    groups.forEach(function (group) {
      var item = document.createElement("li");
      if (group.id) {
        var link = document.createElement("a");
        link.href = "#" + group.id;
        var h = group.heading.matches("section") ? group.heading.querySelector("h1, h2, h3, h4") : group.heading;
        link.textContent = (h || group.heading).textContent.replace(/#$/, "").trim();
        item.appendChild(link);
        item.appendChild(document.createTextNode(": "));
      } else {
        item.appendChild(document.createTextNode("Back to "));
      }
      group.questions.forEach(function (q, i) {
        if (i) { item.appendChild(document.createTextNode(", ")); }
        var a = document.createElement("a");
        a.href = "#" + q.id;
        a.textContent = q.querySelector("h4").firstChild.textContent.trim();
        item.appendChild(a);
      });
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  function verdict(result) {
    if (result.empty) { return "lrquiz-message"; }
    return result.correct ? "lrquiz-right" : (result.score > 0 ? "lrquiz-partial" : "lrquiz-wrong");
  }

  function show(section, result) {
    var box = section.querySelector(".lrquiz-feedback");
    box.className = "lrquiz-feedback " + verdict(result);
    box.textContent = "";
    var lead = document.createElement("p");
    // quiz.css marks it ✓ ◐ ✗ by its class, as the widget does; leadHtml is the bank's feedback,
    // rendered from its Markdown at build time.
    if (result.leadHtml) { lead.innerHTML = result.leadHtml; } else { lead.textContent = result.text; }
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

  function revealSolution(section) {
    section.querySelectorAll(".lrquiz-solution").forEach(function (s) { s.hidden = false; });
    var button = section.querySelector(".lrquiz-reveal");
    if (button) { button.hidden = true; }
  }

  function setUp(section, quiz, saved) {
    var bank = quiz ? quiz.getAttribute("data-bank") : null;
    var qid = section.getAttribute("data-qid");
    var reveal = section.querySelector(".lrquiz-reveal");
    if (reveal) { reveal.addEventListener("click", function () { revealSolution(section); }); }
    if (section.getAttribute("data-type") === "explain") { setUpExplain(section, bank, qid, saved); return; }
    var data = section.querySelector("script.lrquiz-self-check");
    var button = section.querySelector(".lrquiz-check");
    if (!data || !button) { return; }
    var key = JSON.parse(data.textContent);

    function apply(answer, save) {
      var result = grade(key, answer);
      show(section, result);
      if (result.empty) { return; }  // a blank answer is not an attempt: not counted, not saved
      section.setAttribute("data-score", String(result.score));
      revealSolution(section);
      if (quiz) { updateScore(quiz); }
      if (save && bank) {
        var state = load(bank);
        var before = state.answers[qid];
        state.answers[qid] = { answer: answer, score: result.score, correct: result.correct,
                               attempts: before ? (before.attempts || 1) + 1 : 1,
                               updated: new Date().toISOString() };
        state.graded = parseInt(quiz.querySelector(".lrquiz-score").getAttribute("data-graded"), 10);
        store(bank, state);
      }
    }

    button.addEventListener("click", function () { apply(answerOf(section, key), true); });
    var input = section.querySelector("input.lrquiz-input");
    if (input) {
      input.addEventListener("keydown", function (event) {
        if (event.key === "Enter") { event.preventDefault(); button.click(); }
      });
    }
    var previous = saved && saved.answers[qid];
    if (previous && !A.isBlank(previous.answer)) {
      setAnswer(section, key, previous.answer);
      apply(previous.answer, false);
    }
  }

  // An explain question: the checklist (the model answer) and the worked solution open only once
  // the learner has written something and asks to compare; the text is saved as it is typed.
  function setUpExplain(section, bank, qid, saved) {
    var box = section.querySelector(".lrquiz-input");
    var button = section.querySelector(".lrquiz-compare");
    var feedback = section.querySelector(".lrquiz-feedback");
    if (!box || !button) { return; }
    function keep(compared) {
      if (!bank) { return; }
      var state = load(bank);
      var before = (state.explanations || {})[qid] || {};
      state.explanations = state.explanations || {};
      state.explanations[qid] = { text: box.value, compared: compared || !!before.compared,
                                  updated: new Date().toISOString() };
      store(bank, state);
    }
    function compare(save) {
      if (A.isBlank(box.value)) {
        feedback.className = "lrquiz-feedback lrquiz-message";
        feedback.textContent = "Write your explanation first: the model answer opens after you have.";
        return;
      }
      feedback.className = "lrquiz-feedback";
      feedback.textContent = "Compare your explanation with the checklist below.";
      section.querySelector(".lrquiz-checklist").hidden = false;
      revealSolution(section);
      if (save) { keep(true); }
    }
    box.addEventListener("input", function () { keep(false); });
    button.addEventListener("click", function () { compare(true); });
    var previous = saved && saved.explanations && saved.explanations[qid];
    if (previous && typeof previous.text === "string") {
      box.value = previous.text;
      if (previous.compared) { compare(false); }
    }
  }

  function reset(quiz) {
    var bank = quiz.getAttribute("data-bank"), kept = null;
    try { kept = window.localStorage.getItem(STORAGE_PREFIX + bank); } catch (e) { kept = null; }
    forget(bank);
    offerUndo(quiz, kept);
    quiz.querySelectorAll(".lrquiz-q").forEach(function (section) {
      section.removeAttribute("data-score");
      section.querySelectorAll("input[type=radio], input[type=checkbox]").forEach(function (i) { i.checked = false; });
      section.querySelectorAll(".lrquiz-input").forEach(function (i) { i.value = ""; });
      var box = section.querySelector(".lrquiz-feedback");
      if (box) { box.textContent = ""; box.className = "lrquiz-feedback"; }
      section.querySelectorAll(".lrquiz-solution").forEach(function (s) { s.hidden = true; s.open = false; });
      section.querySelectorAll(".lrquiz-checklist").forEach(function (c) { c.hidden = true; });
      var reveal = section.querySelector(".lrquiz-reveal");
      if (reveal) { reveal.hidden = false; }
    });
    updateScore(quiz);
  }

  // A reset acts at once but can be undone (until the page is left): the saved answers come
  // back and the page reloads them.
  function offerUndo(quiz, kept) {
    var undo = quiz.querySelector(".lrquiz-undo");
    if (!undo) {
      undo = document.createElement("button");
      undo.type = "button";
      undo.className = "lrquiz-undo";
      undo.textContent = "Undo the reset";
      quiz.querySelector(".lrquiz-reset").insertAdjacentElement("afterend", undo);
      undo.addEventListener("click", function () {
        var saved = undo.getAttribute("data-kept");
        if (saved) { try { window.localStorage.setItem(STORAGE_PREFIX + quiz.getAttribute("data-bank"), saved); } catch (e) { /* full */ } }
        window.location.reload();
      });
    }
    undo.hidden = !kept;
    if (kept) { undo.setAttribute("data-kept", kept); }
  }

  // Exposed so tests can hold these rules to check.py's, case by case.
  window.lrcourseQuiz = { sameOutput: A.sameOutput, grade: grade };

  function init() {
    document.querySelectorAll(".lrquiz").forEach(function (quiz) {
      var saved = load(quiz.getAttribute("data-bank"));
      quiz.querySelectorAll(".lrquiz-q").forEach(function (section) { setUp(section, quiz, saved); });
      var button = quiz.querySelector(".lrquiz-reset");
      if (button) {
        button.hidden = false;
        button.addEventListener("click", function () { reset(quiz); });
      }
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); }
  else { init(); }
})();
