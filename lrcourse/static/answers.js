// lrcourse answer parser in the browser: the line-for-line twin of lrcourse/quiz/parse.py, plus
// check.py's same_output and the select-all summary, so the book grades exactly as Python does.
// tests/quiz/test_parse.py runs this file in node on the same cases as the Python (parity).
(function (root) {
  "use strict";
  var TOKEN_SEPARATORS = /[\s,;\[\]\(\)\{\}]+/;
  var QUOTES = "'\"`";
  var NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
  var OUTPUT_REL_TOL = 1e-6;

  function stripQuotes(token) {
    var start = 0, end = token.length;
    while (start < end && QUOTES.indexOf(token.charAt(start)) >= 0) { start += 1; }
    while (end > start && QUOTES.indexOf(token.charAt(end - 1)) >= 0) { end -= 1; }
    return token.slice(start, end);
  }

  function answerTokens(text) {
    var tokens = [];
    String(text).trim().split(TOKEN_SEPARATORS).forEach(function (piece) {
      var token = stripQuotes(piece);
      if (token.length > 0) { tokens.push(token); }
    });
    return tokens;
  }

  function tokenNumber(token) {
    // 1e999 reads as Infinity, which every tolerance "matches": it is a word, compared as text.
    token = stripQuotes(token);
    var value = NUMBER.test(token) ? parseFloat(token) : NaN;
    return isFinite(value) ? value : null;
  }

  function parseNumber(text) {
    var tokens = answerTokens(text);
    return tokens.length === 1 ? tokenNumber(tokens[0]) : null;
  }

  function isBlank(answer) {
    if (answer === null || answer === undefined) { return true; }
    if (typeof answer === "string") { return answer.trim().length === 0; }
    if (Array.isArray(answer)) { return answer.length === 0; }
    return false;
  }

  // check.py's same_output: same token count, numbers within 1e-6 relative, words exactly.
  function sameOutput(expected, given) {
    var a = answerTokens(expected), b = answerTokens(given);
    if (a.length !== b.length) { return false; }
    for (var i = 0; i < a.length; i++) {
      var x = tokenNumber(a[i]), y = tokenNumber(b[i]);
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

  // check.py's check_multiple: score = max(0, (right picked - wrong picked) / right keys).
  function gradeMultiple(right, picked) {
    var hits = picked.filter(function (p) { return right.indexOf(p) >= 0; }).length;
    var misses = picked.length - hits;
    var missed = right.length - hits;
    var score = Math.max(0, (hits - misses) / right.length);
    var correct = misses === 0 && missed === 0;
    if (correct) { return { score: score, correct: true, text: "Right: exactly the true statements." }; }
    var parts = [hits + " of " + right.length + " right options picked"];
    if (misses) { parts.push(misses + " wrong option(s) picked (each cancels a right one)"); }
    if (missed) { parts.push(missed + " right option(s) missed"); }
    return { score: score, correct: false,
             text: (score > 0 ? "Partly right" : "Not quite") + ": " + parts.join("; ") + ". Score " + score.toFixed(2) + "." };
  }

  var api = { answerTokens: answerTokens, tokenNumber: tokenNumber, parseNumber: parseNumber,
              isBlank: isBlank, sameOutput: sameOutput, gradeMultiple: gradeMultiple };
  if (typeof module !== "undefined" && module.exports) { module.exports = api; }
  root.lrcourseAnswers = api;
})(typeof window !== "undefined" ? window : globalThis);
