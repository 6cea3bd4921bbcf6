// 朗读: reads the page's main content aloud with the browser's own speech synthesis in zh-CN
// (语音阅读, one of the reading aids of 《互联网网站适老化通用设计规范》, MIIT 2021; issue 21).
// The buttons (templates/base.html) stay hidden where the browser has no speechSynthesis, and
// without JavaScript. 朗读 is a toggle (aria-pressed): press again to stop; 暂停 pauses and
// resumes. Only <main> is read, never the header or the navigation, nor anything hidden.
(function () {
  "use strict";
  var synth = window.speechSynthesis;
  var box = document.getElementById("read-aloud");
  if (!box || !synth || typeof window.SpeechSynthesisUtterance !== "function") { return; }
  var toggle = document.getElementById("read-aloud-toggle");
  var pause = document.getElementById("read-aloud-pause");
  var SKIP = /^(NAV|SCRIPT|STYLE|TEMPLATE|NOSCRIPT|SELECT|TEXTAREA|INPUT|SVG|BUTTON)$/;
  var BLOCK = /^(block|list-item|table|table-row|table-cell|table-caption|flex|grid)$/;
  // Characters an utterance (≈ 15 s of Chinese speech): Chrome's network voices stop a long
  // utterance after about 15 s, so the text goes out a few phrases at a time.
  var MAX = 80;
  var queue = [];
  var run = 0;  // which reading the utterances belong to (a stop ends the old one)

  // The visible text of an element, a piece for each block, without navigation or controls.
  function pieces(node, out) {
    node.childNodes.forEach(function (child) {
      if (child.nodeType === 3) {
        out[out.length - 1] += child.nodeValue;
        return;
      }
      if (child.nodeType !== 1 || SKIP.test(child.nodeName.toUpperCase())) { return; }
      if (child.hidden || child.getAttribute("aria-hidden") === "true") { return; }
      if (child.nodeName === "DETAILS" && !child.open) {  // folded: only its summary shows
        var summary = child.querySelector("summary");
        if (summary) { out.push(""); pieces(summary, out); out.push(""); }
        return;
      }
      var style = window.getComputedStyle(child);
      if (style.display === "none" || style.visibility === "hidden") { return; }
      var block = BLOCK.test(style.display);
      if (block) { out.push(""); }
      pieces(child, out);
      if (block) { out.push(""); }
    });
    return out;
  }

  // Pieces become utterances of at most MAX characters, cut after a sentence where possible.
  function chunks(main) {
    var out = [];
    pieces(main, [""]).forEach(function (text) {
      text = text.replace(/\s+/g, " ").trim();
      while (text.length > MAX) {
        var cut = -1;
        ["。", "！", "？", "；", "，", "、", " "].forEach(function (mark) {
          cut = Math.max(cut, text.lastIndexOf(mark, MAX - 1));
        });
        cut = cut > MAX / 3 ? cut + 1 : MAX;
        out.push(text.slice(0, cut));
        text = text.slice(cut).trim();
      }
      if (text) { out.push(text); }
    });
    return out;
  }

  function voice() {
    var voices = synth.getVoices ? synth.getVoices() : [];
    for (var i = 0; i < voices.length; i++) {
      if (/^zh[-_]CN/i.test(voices[i].lang)) { return voices[i]; }
    }
    return null;
  }

  function show(reading, paused) {
    toggle.setAttribute("aria-pressed", reading ? "true" : "false");
    pause.hidden = !reading;
    pause.setAttribute("aria-pressed", paused ? "true" : "false");
  }

  function stop() {
    run += 1;
    queue = [];
    // Only when something is queued: some Chrome builds drop an utterance spoken right after
    // a needless cancel().
    if (synth.speaking || synth.pending || synth.paused) { synth.cancel(); }
    show(false, false);
  }

  function next(mine) {
    if (mine !== run) { return; }
    var text = queue.shift();
    if (text === undefined) { show(false, false); return; }
    var utterance = new window.SpeechSynthesisUtterance(text);
    utterance.lang = "zh-CN";
    var chosen = voice();
    if (chosen) { utterance.voice = chosen; }
    utterance.onend = function () { next(mine); };
    utterance.onerror = function () { if (mine === run) { stop(); } };
    synth.speak(utterance);
  }

  function start() {
    var main = document.querySelector("main");
    if (!main) { return; }
    stop();
    queue = chunks(main);
    show(true, false);
    next(run);
  }

  toggle.addEventListener("click", function () {
    if (toggle.getAttribute("aria-pressed") === "true") { stop(); } else { start(); }
  });
  pause.addEventListener("click", function () {
    if (pause.getAttribute("aria-pressed") === "true") {
      synth.resume();
      show(true, false);
    } else {
      synth.pause();
      show(true, true);
    }
  });
  // Escape stops the reading from anywhere on the page; leaving the page stops it too.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && toggle.getAttribute("aria-pressed") === "true") { stop(); }
  });
  window.addEventListener("pagehide", function () { synth.cancel(); });
  box.hidden = false;
})();
