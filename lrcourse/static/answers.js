// lrcourse answer parser in the browser: the line-for-line twin of lrcourse/quiz/parse.py, plus
// check.py's same_output and the select-all summary, so the book grades exactly as Python does.
// tests/quiz/test_parse.py runs this file in node on the same cases as the Python (parity).
(function (root) {
  "use strict";
  var TOKEN_SEPARATORS = /[\s,;\[\]\(\)\{\}]+/;
  var QUOTES = "'\"`";
  var NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
  var OUTPUT_REL_TOL = 1e-6;
  var NOT_FINITE = /^[+-]?(inf|nan)$/i;
  var DECIMAL_COMMA = /\d,\d/;
  var ARITHMETIC = /[\d.)]\s*(\*\*|[-+*\/^])\s*[\d.(]/;

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

  // parse.py's format_problem: a format slip (1,6 · lr = 1.6 · 1 - 0.001) is a message, not an attempt.
  function slipText(text, kind) {
    var typed = String(text).trim().split(/\s+/).join(" ");
    var shown = typed.length <= 40 ? typed : typed.slice(0, 39) + "\u2026";
    if (text.indexOf("=") >= 0) { return "Type only the value, not an assignment: '" + shown + "' is not " + kind + "."; }
    if (DECIMAL_COMMA.test(text)) { return "Write decimals with a dot (1.6, not 1,6): '" + shown + "' is not " + kind + "."; }
    if (ARITHMETIC.test(text)) { return "Work the value out and type the result: '" + shown + "' is a calculation, not " + kind + "."; }
    return "'" + shown + "' is not " + kind + ": type e.g. 0.05 or 5e-2.";
  }

  function isValue(token) { return tokenNumber(token) !== null || NOT_FINITE.test(stripQuotes(token)); }

  function formatProblem(kind, text, expected) {
    if (kind === "numeric") { return parseNumber(text) !== null ? null : slipText(text, "one number"); }
    if (kind !== "predict" || expected === null || expected === undefined) { return null; }
    var values = answerTokens(expected);
    if (!values.length || !values.every(isValue)) { return null; }
    var given = answerTokens(text);
    if (!given.every(isValue)) { return slipText(text, "a list of the values it prints"); }
    if (DECIMAL_COMMA.test(text) && given.length !== values.length) { return slipText(text, "a list of the values it prints"); }
    return null;
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
              isBlank: isBlank, formatProblem: formatProblem, sameOutput: sameOutput, gradeMultiple: gradeMultiple };
  if (typeof module !== "undefined" && module.exports) { module.exports = api; }
  root.lrcourseAnswers = api;
})(typeof window !== "undefined" ? window : globalThis);
