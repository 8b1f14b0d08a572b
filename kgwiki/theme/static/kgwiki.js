/* kgwiki.js: behaviour for the kgwiki static site.
 *
 * Four independent features, each switched on only when its markup is on the page:
 *   1. Search        (#search-input, #search-results; index loaded lazily from assets/search-index.js)
 *   2. Hover previews (a.internal[data-slug] + <script id="preview-data">)
 *   3. Concept map   (.concept-map[data-source] + the global `vis` from vis-network)
 *   4. Graph explorer (#explorer-canvas + window.KGWIKI_GRAPH + the global `vis`)
 *
 * Plain ES2018, no modules, no build step, no network requests (works from file://).
 * Page data is only ever put into the DOM with createElement/textContent, never innerHTML.
 */
(function () {
  "use strict";

  /* ------------------------------------------------------------------ */
  /* Shared helpers                                                      */
  /* ------------------------------------------------------------------ */

  var doc = document;
  var ROOT = doc.documentElement.getAttribute("data-root") || "";
  var hasOwn = Object.prototype.hasOwnProperty;

  /** Create an element with an optional class name and text content. */
  function el(tag, className, text) {
    var node = doc.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /** Parse the JSON inside <script type="application/json" id="...">; null if absent or invalid. */
  function readJSON(id) {
    var script = id ? doc.getElementById(id) : null;
    if (!script) return null;
    try {
      return JSON.parse(script.textContent || "null");
    } catch (err) {
      return null;
    }
  }

  function str(value) {
    return value === undefined || value === null ? "" : String(value);
  }

  /** A CSS-safe class suffix for a page type ("concept" -> "type-concept"). */
  function typeClass(type) {
    return "type-" + str(type).toLowerCase().replace(/[^a-z0-9_-]+/g, "-");
  }

  function badge(type, extraClass) {
    var span = el("span", "badge " + typeClass(type) + (extraClass ? " " + extraClass : ""), type);
    return span;
  }

  /** True when keyboard input is going into a form field or editable region. */
  function isTyping(target) {
    if (!target || target.nodeType !== 1) return false;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  function cssVar(node, name, fallback) {
    var value = getComputedStyle(node).getPropertyValue(name).trim();
    return value || fallback;
  }

  var darkScheme = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  var reducedMotion = window.matchMedia ? window.matchMedia("(prefers-reduced-motion: reduce)") : null;

  function onSchemeChange(callback) {
    if (!darkScheme) return;
    if (darkScheme.addEventListener) darkScheme.addEventListener("change", callback);
    else if (darkScheme.addListener) darkScheme.addListener(callback);
  }

  function formatCount(n) {
    return Number(n).toLocaleString("en");
  }

  /**
   * Lowercase and strip diacritics while keeping the string length unchanged, so that
   * match positions found in the folded text are valid in the original text.
   */
  function fold(text) {
    var s = str(text);
    var lower = s.toLowerCase();
    if (lower.length === s.length && !/[^\u0000-\u007f]/.test(lower)) return lower;
    var out = "";
    for (var i = 0; i < s.length; i++) {
      var c = s.charAt(i);
      var f = c.toLowerCase();
      if (f.length === 1 && f.charCodeAt(0) < 128) {
        out += f;
        continue;
      }
      f = f.normalize ? f.normalize("NFD").charAt(0) : f.charAt(0);
      out += f || c;
    }
    return out;
  }

  var WORD_RE = /[\p{L}\p{N}]+/gu;
  var WORD_CHAR_RE = /[\p{L}\p{N}]/u;

  function words(folded) {
    return folded.match(WORD_RE) || [];
  }

  /** Index of the first occurrence of `needle` in `hay` that starts a word, or -1. */
  function wordStart(hay, needle, from) {
    var i = hay.indexOf(needle, from || 0);
    while (i !== -1) {
      if (i === 0 || !WORD_CHAR_RE.test(hay.charAt(i - 1))) return i;
      i = hay.indexOf(needle, i + 1);
    }
    return -1;
  }

  /**
   * Optimal-string-alignment (Damerau) distance between a and b, giving up early:
   * returns max + 1 as soon as the distance is known to exceed `max`.
   */
  var rowA = [];
  var rowB = [];
  var rowC = [];

  function editDistance(a, b, max) {
    var la = a.length;
    var lb = b.length;
    if (Math.abs(la - lb) > max) return max + 1;
    var prev2 = null;
    var prev = rowA;
    var cur = rowB;
    var spare = rowC;
    var j;
    for (j = 0; j <= lb; j++) prev[j] = j;
    for (var i = 1; i <= la; i++) {
      cur[0] = i;
      var rowMin = i;
      var ca = a.charCodeAt(i - 1);
      for (j = 1; j <= lb; j++) {
        var cost = ca === b.charCodeAt(j - 1) ? 0 : 1;
        var v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
        if (prev2 && i > 1 && j > 1 && ca === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === b.charCodeAt(j - 1)) {
          v = Math.min(v, prev2[j - 2] + 1);
        }
        cur[j] = v;
        if (v < rowMin) rowMin = v;
      }
      if (rowMin > max) return max + 1;
      var rotate = prev2 || spare;
      prev2 = prev;
      prev = cur;
      cur = rotate;
    }
    return prev[lb];
  }

  /** Allowed typo distance for a query word (contract: 4-7 letters -> 1, 8+ -> 2). */
  function typoBudget(word) {
    if (word.length >= 8) return 2;
    if (word.length >= 4) return 1;
    return 0;
  }

  /** Append `text` to `parent`, wrapping word-initial occurrences of `terms` in <mark>. */
  function appendHighlighted(parent, text, terms) {
    var folded = fold(text);
    var ranges = [];
    for (var t = 0; t < terms.length; t++) {
      var term = terms[t];
      if (!term) continue;
      var i = wordStart(folded, term, 0);
      while (i !== -1) {
        ranges.push([i, i + term.length]);
        i = wordStart(folded, term, i + term.length);
      }
    }
    ranges.sort(function (x, y) {
      return x[0] - y[0] || y[1] - x[1];
    });
    var pos = 0;
    for (var r = 0; r < ranges.length; r++) {
      var start = Math.max(ranges[r][0], pos);
      var end = ranges[r][1];
      if (end <= start) continue;
      if (start > pos) parent.appendChild(doc.createTextNode(text.slice(pos, start)));
      parent.appendChild(el("mark", null, text.slice(start, end)));
      pos = end;
    }
    if (pos < text.length) parent.appendChild(doc.createTextNode(text.slice(pos)));
  }

  /* ------------------------------------------------------------------ */
  /* 1. Search: lazy index, typo-tolerant ranking, keyboard navigation    */
  /* ------------------------------------------------------------------ */

  var MAX_RESULTS = 10;
  // Scores per match kind: [none, infix, fuzzy, prefix, exact]; titles always beat aliases,
  // aliases beat summaries, summaries beat body text.
  var TITLE_SCORE = [0, 60, 70, 85, 100];
  var ALIAS_SCORE = [0, 35, 40, 48, 55];
  var SUMMARY_SCORE = 20;
  var BODY_SCORE = 8;

  /** Precompute lowercased fields and a vocabulary of title/alias words (done once). */
  function buildSearchIndex(data) {
    var pages = data && Array.isArray(data.pages) ? data.pages : [];
    var docs = [];
    var vocab = new Map(); // word -> flat array of (pageIndex * 2 + field), field 0 = title, 1 = alias

    function addWords(text, pageIndex, field) {
      var list = words(text);
      for (var i = 0; i < list.length; i++) {
        var posting = vocab.get(list[i]);
        var code = pageIndex * 2 + field;
        if (!posting) vocab.set(list[i], [code]);
        else if (posting[posting.length - 1] !== code) posting.push(code);
      }
    }

    for (var i = 0; i < pages.length; i++) {
      var p = pages[i] || {};
      var title = str(p.t) || str(p.u);
      var aliases = Array.isArray(p.a) ? p.a.map(str).filter(Boolean) : [];
      var d = {
        u: str(p.u),
        t: title,
        y: str(p.y),
        a: aliases,
        m: str(p.m),
        b: str(p.b),
        ft: fold(title),
        fa: aliases.map(fold),
        fm: fold(p.m),
        fb: fold(p.b)
      };
      // Word sequences of the title and aliases, for whole-phrase bonuses.
      d.nt = words(d.ft).join(" ");
      d.na = d.fa.map(function (a) {
        return words(a).join(" ");
      });
      docs.push(d);
      addWords(d.ft, i, 0);
      for (var k = 0; k < d.fa.length; k++) addWords(d.fa[k], i, 1);
    }

    var vocabWords = [];
    var postings = [];
    vocab.forEach(function (posting, word) {
      vocabWords.push(word);
      postings.push(posting);
    });
    return { docs: docs, words: vocabWords, postings: postings };
  }

  /** Match one query word against the title/alias vocabulary: Map pageIndex -> score. */
  function matchVocabulary(index, word, allowPrefix, terms) {
    var scores = new Map();
    var budget = typoBudget(word);
    var vocabWords = index.words;
    for (var k = 0; k < vocabWords.length; k++) {
      var v = vocabWords[k];
      var kind = 0;
      var penalty = 0;
      if (v === word) {
        kind = 4;
      } else if (allowPrefix && v.length > word.length && v.lastIndexOf(word, 0) === 0) {
        kind = 3;
      } else if (budget && Math.abs(v.length - word.length) <= budget) {
        var dist = editDistance(word, v, budget);
        if (dist <= budget) {
          kind = 2;
          penalty = (dist - 1) * 5;
        }
      }
      if (!kind && word.length >= 3 && v.length > word.length && v.indexOf(word) > 0) kind = 1;
      if (!kind) continue;
      terms.push(v);
      var posting = index.postings[k];
      for (var j = 0; j < posting.length; j++) {
        var page = posting[j] >> 1;
        var field = posting[j] & 1;
        var score = (field === 0 ? TITLE_SCORE[kind] : ALIAS_SCORE[kind]) - penalty;
        var old = scores.get(page);
        if (old === undefined || score > old) scores.set(page, score);
      }
    }
    return scores;
  }

  /** Run a query; returns up to MAX_RESULTS {doc, terms, snippet} objects, best first. */
  function runSearch(index, query) {
    var folded = fold(query);
    var qWords = words(folded);
    if (!qWords.length) return [];
    var phrase = qWords.join(" ");
    var lastIsPrefix = !/\s$/.test(query);
    var terms = qWords.slice();
    var perWord = qWords.map(function (w, i) {
      return matchVocabulary(index, w, lastIsPrefix && i === qWords.length - 1, terms);
    });

    var hits = [];
    var docs = index.docs;
    for (var p = 0; p < docs.length; p++) {
      var d = docs[p];
      var total = 0;
      var ok = true;
      for (var w = 0; w < qWords.length; w++) {
        var s = perWord[w].get(p);
        if (s === undefined) {
          if (wordStart(d.fm, qWords[w], 0) !== -1) s = SUMMARY_SCORE;
          else if (wordStart(d.fb, qWords[w], 0) !== -1) s = BODY_SCORE;
          else {
            ok = false;
            break;
          }
        }
        total += s;
      }
      if (!ok) continue;
      if (d.nt === phrase) total += 300;
      else if (d.nt.lastIndexOf(phrase, 0) === 0) total += 40;
      if (d.na.indexOf(phrase) !== -1) total += 150;
      hits.push({ i: p, score: total });
    }

    hits.sort(function (x, y) {
      if (y.score !== x.score) return y.score - x.score;
      var dx = docs[x.i];
      var dy = docs[y.i];
      if (dx.t.length !== dy.t.length) return dx.t.length - dy.t.length;
      return dx.t < dy.t ? -1 : dx.t > dy.t ? 1 : 0;
    });

    // Longer terms first so overlapping highlights prefer whole matched words.
    terms = terms.filter(function (t, i) {
      return terms.indexOf(t) === i;
    });
    terms.sort(function (x, y) {
      return y.length - x.length;
    });
    return hits.slice(0, MAX_RESULTS).map(function (hit) {
      var d = docs[hit.i];
      return { doc: d, terms: terms, snippet: makeSnippet(d, qWords, terms) };
    });
  }

  /** Cut a ~length-character window of `text` around position `at`, on word boundaries. */
  function windowAround(text, at, length) {
    if (text.length <= length) return text;
    var start = Math.max(0, at - Math.floor(length / 3));
    if (start > 0) {
      var space = text.indexOf(" ", start);
      start = space !== -1 && space < at ? space + 1 : start;
    }
    var end = Math.min(text.length, start + length);
    if (end < text.length) {
      var back = text.lastIndexOf(" ", end);
      if (back > start + length / 2) end = back;
    }
    return (start > 0 ? "\u2026" : "") + text.slice(start, end).trim() + (end < text.length ? "\u2026" : "");
  }

  function firstMatch(folded, needles) {
    var best = -1;
    for (var i = 0; i < needles.length; i++) {
      var at = wordStart(folded, needles[i], 0);
      if (at !== -1 && (best === -1 || at < best)) best = at;
    }
    return best;
  }

  /** The text shown under a result: the matching part of the summary, body or aliases. */
  function makeSnippet(d, qWords, terms) {
    var at = firstMatch(d.fm, qWords);
    if (at !== -1) return windowAround(d.m, at, 180);
    var matchedAliases = d.a.filter(function (alias, i) {
      return firstMatch(d.fa[i], terms) !== -1;
    });
    var inTitle = firstMatch(d.ft, terms) !== -1;
    if (!inTitle && matchedAliases.length) return "Also known as: " + matchedAliases.join(", ");
    at = firstMatch(d.fb, qWords);
    if (at !== -1 && !inTitle) return windowAround(d.b, at, 180);
    return windowAround(d.m || d.b, 0, 180);
  }

  function initSearch() {
    var input = doc.getElementById("search-input");
    var box = doc.getElementById("search-results");
    if (!input || !box) return;

    var index = null;
    var state = "idle"; // idle | loading | ready | failed
    var results = [];
    var selected = -1;

    function ensureIndex() {
      if (state === "ready" || state === "loading" || state === "failed") return;
      if (window.KGWIKI_SEARCH) {
        index = buildSearchIndex(window.KGWIKI_SEARCH);
        state = "ready";
        return;
      }
      state = "loading";
      var script = doc.createElement("script");
      script.src = ROOT + "assets/search-index.js";
      script.async = true;
      script.onload = function () {
        if (window.KGWIKI_SEARCH) {
          index = buildSearchIndex(window.KGWIKI_SEARCH);
          state = "ready";
        } else {
          state = "failed";
        }
        if (doc.activeElement === input) update();
      };
      script.onerror = function () {
        state = "failed";
        if (doc.activeElement === input) update();
      };
      doc.head.appendChild(script);
    }

    function open() {
      box.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function close() {
      box.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      selected = -1;
    }

    function message(text) {
      results = [];
      selected = -1;
      box.textContent = "";
      box.appendChild(el("div", "search-empty", text));
      input.removeAttribute("aria-activedescendant");
      open();
    }

    function update() {
      var query = input.value;
      if (!query.trim()) {
        results = [];
        box.textContent = "";
        close();
        return;
      }
      if (state === "failed") return message("Search is unavailable: the search index could not be loaded.");
      if (state !== "ready") return message("Loading the search index\u2026");
      results = runSearch(index, query);
      selected = -1;
      input.removeAttribute("aria-activedescendant");
      if (!results.length) return message("No pages match \u201c" + query.trim() + "\u201d.");
      box.textContent = "";
      var fragment = doc.createDocumentFragment();
      results.forEach(function (r, i) {
        var link = el("a", "search-result");
        link.id = "search-result-" + i;
        link.href = ROOT + r.doc.u;
        link.setAttribute("role", "option");
        link.setAttribute("aria-selected", "false");
        link.tabIndex = -1;
        var title = el("span", "result-title");
        appendHighlighted(title, r.doc.t, r.terms);
        link.appendChild(title);
        link.appendChild(badge(r.doc.y || "page", "result-type"));
        var snippet = el("span", "result-snippet");
        appendHighlighted(snippet, r.snippet, r.terms);
        link.appendChild(snippet);
        link.addEventListener("mousemove", function () {
          if (selected !== i) select(i, false);
        });
        fragment.appendChild(link);
      });
      box.appendChild(fragment);
      open();
    }

    function select(i, scroll) {
      var items = box.querySelectorAll(".search-result");
      if (!items.length) return;
      if (selected >= 0 && items[selected]) items[selected].setAttribute("aria-selected", "false");
      selected = (i + items.length) % items.length;
      var item = items[selected];
      item.setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", item.id);
      if (scroll !== false) item.scrollIntoView({ block: "nearest" });
    }

    input.addEventListener("focus", function () {
      ensureIndex();
      if (input.value.trim()) update();
    });
    input.addEventListener("input", function () {
      ensureIndex();
      update();
    });
    input.addEventListener("keydown", function (event) {
      ensureIndex();
      var items = box.hidden ? [] : box.querySelectorAll(".search-result");
      switch (event.key) {
        case "ArrowDown":
        case "ArrowUp":
          if (box.hidden && input.value.trim()) {
            update();
            items = box.querySelectorAll(".search-result");
          }
          if (items.length) {
            event.preventDefault();
            if (event.key === "ArrowDown") select(selected < 0 ? 0 : selected + 1);
            else select(selected < 0 ? items.length - 1 : selected - 1);
          }
          break;
        case "Enter":
          if (items.length) {
            event.preventDefault();
            window.location.href = items[selected >= 0 ? selected : 0].href;
          }
          break;
        case "Escape":
          if (!box.hidden) {
            event.preventDefault();
            close();
          }
          break;
        default:
          break;
      }
    });

    // Keep focus in the box while clicking a result; close when focus or clicks go elsewhere.
    box.addEventListener("mousedown", function (event) {
      event.preventDefault();
    });
    var wrapper = input.closest(".search") || input.parentNode;
    wrapper.addEventListener("focusout", function (event) {
      if (!event.relatedTarget || !wrapper.contains(event.relatedTarget)) close();
    });
    doc.addEventListener("click", function (event) {
      if (!wrapper.contains(event.target)) close();
    });

    // "/" anywhere (outside form fields) focuses the search box; Escape closes the results.
    doc.addEventListener("keydown", function (event) {
      if (event.defaultPrevented) return;
      if (event.key === "/" && !event.ctrlKey && !event.metaKey && !event.altKey && !isTyping(event.target)) {
        event.preventDefault();
        input.focus();
        input.select();
      } else if (event.key === "Escape" && !box.hidden) {
        close();
      }
    });
  }

  /* ------------------------------------------------------------------ */
  /* 2. Hover previews for internal links                                */
  /* ------------------------------------------------------------------ */

  var PREVIEW_DELAY = 250;

  function initPreviews() {
    var data = readJSON("preview-data");
    if (!data || typeof data !== "object") return;

    var tip = null;
    var timer = 0;
    var current = null;

    function previewable(target) {
      var link = target && target.closest ? target.closest("a.internal[data-slug]") : null;
      if (!link || link.classList.contains("broken")) return null;
      return hasOwn.call(data, link.getAttribute("data-slug")) ? link : null;
    }

    function ensureTip() {
      if (tip) return tip;
      tip = el("div", "preview");
      tip.id = "kgwiki-preview";
      tip.setAttribute("role", "tooltip");
      tip.hidden = true;
      doc.body.appendChild(tip);
      return tip;
    }

    function show(link, point) {
      var info = data[link.getAttribute("data-slug")] || {};
      var box = ensureTip();
      box.textContent = "";
      var head = el("div", "preview-head");
      head.appendChild(el("strong", "preview-title", info.t || link.textContent));
      if (info.y) head.appendChild(badge(info.y));
      box.appendChild(head);
      if (info.m) box.appendChild(el("p", "preview-summary", info.m));

      // Position below the link (or above it when there is no room), inside the viewport.
      box.style.left = "0px";
      box.style.top = "0px";
      box.hidden = false;
      var rects = link.getClientRects();
      var rect = rects[0] || link.getBoundingClientRect();
      if (point) {
        for (var i = 0; i < rects.length; i++) {
          if (point.y >= rects[i].top && point.y <= rects[i].bottom) rect = rects[i];
        }
      }
      var viewW = doc.documentElement.clientWidth;
      var viewH = window.innerHeight;
      var w = box.offsetWidth;
      var h = box.offsetHeight;
      var left = Math.max(8, Math.min(rect.left, viewW - w - 8));
      var top = rect.bottom + 8;
      if (top + h > viewH - 8 && rect.top - h - 8 >= 8) top = rect.top - h - 8;
      box.style.left = Math.round(left + window.pageXOffset) + "px";
      box.style.top = Math.round(top + window.pageYOffset) + "px";
      if (current && current !== link) current.removeAttribute("aria-describedby");
      current = link;
      link.setAttribute("aria-describedby", box.id);
    }

    function schedule(link, point) {
      clearTimeout(timer);
      if (current === link && tip && !tip.hidden) return;
      timer = setTimeout(function () {
        if (link.isConnected) show(link, point);
      }, PREVIEW_DELAY);
    }

    function hide() {
      clearTimeout(timer);
      if (tip) tip.hidden = true;
      if (current) current.removeAttribute("aria-describedby");
      current = null;
    }

    doc.addEventListener("mouseover", function (event) {
      var link = previewable(event.target);
      if (!link || (event.relatedTarget && link.contains(event.relatedTarget))) return;
      schedule(link, { x: event.clientX, y: event.clientY });
    });
    doc.addEventListener("mouseout", function (event) {
      var link = previewable(event.target);
      if (!link || (event.relatedTarget && link.contains(event.relatedTarget))) return;
      hide();
    });
    doc.addEventListener("focusin", function (event) {
      var link = previewable(event.target);
      if (link) schedule(link, null);
    });
    doc.addEventListener("focusout", function (event) {
      if (previewable(event.target)) hide();
    });
    doc.addEventListener("keydown", function (event) {
      if (event.key === "Escape") hide();
    });
    window.addEventListener("resize", hide);
  }

  /* ------------------------------------------------------------------ */
  /* Graph helpers shared by the concept map and the explorer            */
  /* ------------------------------------------------------------------ */

  var DEFAULT_NODE_COLOR = "#7b8794";
  var DEFAULT_EDGE_COLOR = "#9aa5b1";

  /** Colours that must follow the light/dark theme, read from CSS custom properties. */
  function graphTheme(node) {
    return {
      font: getComputedStyle(doc.body).fontFamily || "system-ui, sans-serif",
      label: cssVar(node, "--graph-label", "#1f2328"),
      halo: cssVar(node, "--graph-halo", "#ffffff"),
      muted: cssVar(node, "--graph-edge-label", "#57606a"),
      ring: cssVar(node, "--graph-ring", "#1f2328"),
      veil: cssVar(node, "--graph-veil", "rgba(250,251,252,0.82)")
    };
  }

  function typeColor(types, type) {
    var t = types && hasOwn.call(types, type) ? types[type] : null;
    return (t && t.color) || DEFAULT_NODE_COLOR;
  }

  function linkStyle(links, type) {
    var l = links && hasOwn.call(links, type) ? links[type] : null;
    return l || {};
  }

  function nodeColor(fill, border, hoverBorder) {
    return {
      background: fill,
      border: border,
      highlight: { background: fill, border: hoverBorder },
      hover: { background: fill, border: hoverBorder }
    };
  }

  function edgeColor(color, opacity) {
    return { color: color, highlight: color, hover: color, inherit: false, opacity: opacity === undefined ? 1 : opacity };
  }

  function arrowsOption(value) {
    if (value === true) return "to";
    if (typeof value === "string") return value;
    if (value && typeof value === "object") return value;
    return "";
  }

  function dashesOption(value) {
    if (Array.isArray(value)) return value;
    return value ? [5, 4] : false;
  }

  /** A node's title, type badge and summary in a box of class `cls` (parts `cls`-head, -title,
   *  -summary), built with textContent (never an HTML string). */
  function nodeCard(node, cls) {
    var box = el("div", cls);
    var head = el("div", cls + "-head");
    head.appendChild(el("strong", cls + "-title", node.label || node.id));
    if (node.type) head.appendChild(badge(node.type));
    box.appendChild(head);
    if (node.summary) box.appendChild(el("p", cls + "-summary", node.summary));
    return box;
  }

  /** Tooltip content for a node in a graph. */
  function nodeTooltip(node) {
    return nodeCard(node, "graph-tip");
  }

  function visAvailable() {
    return typeof window.vis !== "undefined" && window.vis && typeof window.vis.Network === "function";
  }

  function animation() {
    return reducedMotion && reducedMotion.matches ? false : { duration: 250, easingFunction: "easeInOutQuad" };
  }

  /** Zoom by `factor`, keeping the canvas point under (domX, domY) fixed when given. */
  function zoomBy(network, container, factor, domX, domY) {
    var next = Math.max(0.05, Math.min(4, network.getScale() * factor));
    if (domX === undefined) {
      network.moveTo({ scale: next, animation: animation() });
      return;
    }
    var cx = container.clientWidth / 2;
    var cy = container.clientHeight / 2;
    var pointer = network.DOMtoCanvas({ x: domX, y: domY });
    network.moveTo({
      position: { x: pointer.x - (domX - cx) / next, y: pointer.y - (domY - cy) / next },
      scale: next,
      animation: false
    });
  }

  /** Small zoom-in / zoom-out / fit toolbar placed over a graph container. */
  function graphToolbar(network, container, label, fitView) {
    var bar = el("div", "graph-toolbar");
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", label);
    function button(text, title, action) {
      var b = el("button", "graph-button", text);
      b.type = "button";
      b.title = title;
      b.setAttribute("aria-label", title);
      b.addEventListener("click", action);
      bar.appendChild(b);
    }
    button("+", "Zoom in", function () {
      zoomBy(network, container, 1.3);
    });
    button("\u2212", "Zoom out", function () {
      zoomBy(network, container, 1 / 1.3);
    });
    button("\u2922", "Fit to view", function () {
      if (fitView) fitView();
      else network.fit({ animation: animation() });
    });
    return bar;
  }

  /* ------------------------------------------------------------------ */
  /* 3. Concept map on concept / agenda / source pages                   */
  /* ------------------------------------------------------------------ */

  function initConceptMaps() {
    var containers = doc.querySelectorAll(".concept-map[data-source]");
    for (var i = 0; i < containers.length; i++) {
      var container = containers[i];
      var data = readJSON(container.getAttribute("data-source"));
      if (!data || !Array.isArray(data.nodes) || !data.nodes.length) continue;
      if (!visAvailable()) {
        mapFallback(container, data);
        continue;
      }
      var map = buildConceptMap(container, data);
      if (!window.kgwikiMap) window.kgwikiMap = map;
    }
  }

  /** Without vis-network: a plain list of the map's pages, so the section is still useful. */
  function mapFallback(container, data) {
    var list = el("ul", "map-fallback");
    data.nodes.forEach(function (n) {
      var item = el("li");
      if (n.url && !n.current) {
        var a = el("a", null, n.label || n.id);
        a.href = n.url;
        item.appendChild(a);
      } else {
        item.appendChild(el("strong", null, n.label || n.id));
      }
      if (n.type) {
        item.appendChild(doc.createTextNode(" "));
        item.appendChild(badge(n.type));
      }
      list.appendChild(item);
    });
    container.classList.add("concept-map-fallback");
    container.removeAttribute("role"); // a list of links, no longer an image
    container.removeAttribute("aria-label");
    container.textContent = "";
    container.appendChild(list);
  }

  function buildConceptMap(container, data) {
    var types = data.types || {};
    var links = data.links || {};
    var theme = graphTheme(container);
    var byId = new Map();
    var HIDDEN_LABEL = { color: "rgba(0,0,0,0)", strokeColor: "rgba(0,0,0,0)" };
    var quietNodes = new Set(); // nodes whose label would collide with another one: shown on hover
    // Positions are used as given; when the map is fitted into a small box, sizes and fonts are
    // scaled by k (= 1 / fitted zoom) so that labels stay readable on screen.
    var k = 1;

    function mapNode(n) {
      var color = typeColor(types, n.type);
      var current = !!n.current;
      var label = str(n.label || n.id);
      var item = {
        id: n.id,
        label: label,
        x: Number(n.x) || 0,
        y: Number(n.y) || 0,
        title: nodeTooltip(n),
        size: (current ? 12 : 7) * k,
        borderWidth: (current ? 2.5 : 1) * k,
        borderWidthSelected: (current ? 3 : 2) * k,
        color: nodeColor(color, current ? theme.ring : color, theme.ring)
      };
      if (types[n.type] && types[n.type].shape) item.shape = types[n.type].shape;
      if (current) {
        // The current page is drawn larger with a bold label. vis only renders bold through its
        // "html" label markup (drawn on the canvas, not parsed by the browser), so escape the title.
        item.label = "<b>" + label.replace(/&/g, "&amp;").replace(/</g, "&lt;") + "</b>";
        item.font = { multi: "html", size: 13 * k, bold: { size: 13 * k, color: theme.label, face: theme.font, mod: "bold" } };
        item.widthConstraint = { maximum: 180 * k };
      } else {
        item.font = quietNodes.has(n.id) ? HIDDEN_LABEL : { color: theme.label, strokeColor: theme.halo };
      }
      return item;
    }

    function mapEdge(e, i) {
      var style = linkStyle(links, e.type);
      var color = style.color || DEFAULT_EDGE_COLOR;
      return {
        id: "e" + i,
        from: e.from,
        to: e.to,
        label: str(style.label || e.type),
        color: edgeColor(color),
        dashes: scaledDashes(style.dashes),
        arrows: arrowsOption(style.arrows)
      };
    }

    function scaledDashes(value) {
      var dashes = dashesOption(value);
      return dashes
        ? dashes.map(function (d) {
            return d * k;
          })
        : false;
    }

    var nodeItems = [];
    data.nodes.forEach(function (n) {
      if (n && n.id !== undefined && !byId.has(n.id)) {
        byId.set(n.id, n);
        nodeItems.push(mapNode(n));
      }
    });
    // vis draws nodes in insertion order: put the current page last so it sits on top.
    nodeItems.sort(function (a, b) {
      return (byId.get(a.id).current ? 1 : 0) - (byId.get(b.id).current ? 1 : 0);
    });
    var edgeTypes = {};
    var edgeItems = (data.edges || [])
      .filter(function (e) {
        return e && byId.has(e.from) && byId.has(e.to);
      })
      .map(function (e, i) {
        edgeTypes["e" + i] = e.type;
        return mapEdge(e, i);
      });

    var nodes = new window.vis.DataSet(nodeItems);
    var edges = new window.vis.DataSet(edgeItems);

    // Wrap the container so the zoom toolbar can sit over it without becoming part of role="img".
    var frame = el("div", "graph-frame concept-map-frame");
    container.parentNode.insertBefore(frame, container);
    frame.appendChild(container);

    // With many links, edge labels are drawn only for the links of the hovered node or link.
    var quietLabels = (data.edges || []).length > 12;

    function labelFont() {
      return { color: theme.muted, strokeColor: theme.halo };
    }

    function scaledOptions() {
      var edgeFont = { face: theme.font, size: 9 * k, color: theme.muted, strokeWidth: 3 * k, strokeColor: theme.halo, align: "middle" };
      if (quietLabels) {
        edgeFont.color = HIDDEN_LABEL.color;
        edgeFont.strokeColor = HIDDEN_LABEL.strokeColor;
      }
      return {
        nodes: {
          font: { face: theme.font, size: 11 * k, color: theme.label, strokeWidth: 3 * k, strokeColor: theme.halo },
          widthConstraint: { maximum: 120 * k } // long titles wrap instead of running over their neighbours
        },
        edges: {
          width: 1.2 * k,
          font: edgeFont
        }
      };
    }

    var base = scaledOptions();
    var options = {
      autoResize: true,
      physics: { enabled: false },
      layout: { improvedLayout: false },
      interaction: {
        hover: true,
        tooltipDelay: 200,
        dragNodes: false,
        zoomView: false, // the page keeps scrolling over the map; zoom with the buttons or Ctrl + wheel
        keyboard: false,
        selectConnectedEdges: false
      },
      nodes: { shape: "dot", font: base.nodes.font, widthConstraint: base.nodes.widthConstraint },
      edges: {
        width: base.edges.width,
        smooth: false,
        hoverWidth: 0.6,
        selectionWidth: 0.6,
        arrowStrikethrough: false,
        arrows: { to: { scaleFactor: 0.7 } },
        font: base.edges.font
      }
    };

    var network = new window.vis.Network(container, { nodes: nodes, edges: edges }, options);

    function restyleAll() {
      network.setOptions(scaledOptions());
      nodes.update(
        data.nodes.filter(function (n) {
          return byId.get(n.id) === n;
        }).map(mapNode)
      );
      edges.update(
        edgeItems.map(function (e) {
          return { id: e.id, dashes: scaledDashes(linkStyle(links, edgeTypes[e.id]).dashes) };
        })
      );
    }

    /**
     * The view that shows every node position with a margin for labels: the positions' centre and
     * the zoom at which they fill the box (labels are not counted, so a narrow box stays usable).
     */
    function homeView() {
      var minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
      nodeItems.forEach(function (n) {
        minX = Math.min(minX, n.x);
        maxX = Math.max(maxX, n.x);
        minY = Math.min(minY, n.y);
        maxY = Math.max(maxY, n.y);
      });
      var w = Math.max(60, container.clientWidth - 130); // room for labels left and right
      var h = Math.max(60, container.clientHeight - 90); // and for labels under the lowest nodes
      var s = Math.min(maxX > minX ? w / (maxX - minX) : Infinity, maxY > minY ? h / (maxY - minY) : Infinity);
      if (!isFinite(s) || s <= 0) s = 1;
      s = Math.min(4, Math.max(0.25, s));
      return { position: { x: (minX + maxX) / 2, y: (minY + maxY) / 2 + 6 / s }, scale: s };
    }

    /**
     * Label placement at the home view: the current page first, then the best-connected pages;
     * a label that would overlap one already placed is hidden (it appears on hover).
     */
    var measure = doc.createElement("canvas").getContext("2d");
    function placeLabels(view) {
      var degree = new Map();
      edgeItems.forEach(function (e) {
        degree.set(e.from, (degree.get(e.from) || 0) + 1);
        degree.set(e.to, (degree.get(e.to) || 0) + 1);
      });
      var order = nodeItems.map(function (n) {
        return byId.get(n.id);
      });
      order.sort(function (a, b) {
        if (!!a.current !== !!b.current) return a.current ? -1 : 1;
        var d = (degree.get(b.id) || 0) - (degree.get(a.id) || 0);
        return d || str(a.label).length - str(b.label).length;
      });
      var cw = container.clientWidth;
      var ch = container.clientHeight;
      var placed = [];
      var quiet = new Set();
      order.forEach(function (n) {
        var fontPx = n.current ? 13 : 11;
        measure.font = (n.current ? "bold " : "") + fontPx + "px " + theme.font.replace(/"/g, "");
        var w = measure.measureText(str(n.label || n.id)).width;
        var wrap = n.current ? 180 : 120;
        var lines = 1;
        if (w > wrap) {
          lines = Math.ceil(w / (wrap - 10));
          w = wrap;
        }
        var x = (Number(n.x) - view.position.x) * view.scale + cw / 2;
        var y = (Number(n.y) - view.position.y) * view.scale + ch / 2;
        var box = { l: x - w / 2 - 2, r: x + w / 2 + 2, t: y + (n.current ? 12 : 7) + 1, b: y + (n.current ? 12 : 7) + 3 + lines * (fontPx + 3) };
        var clash = placed.some(function (o) {
          return box.l < o.r && box.r > o.l && box.t < o.b && box.b > o.t;
        });
        if (clash && !n.current) quiet.add(n.id);
        else placed.push(box);
      });
      var changed = quiet.size !== quietNodes.size;
      quiet.forEach(function (id) {
        if (!quietNodes.has(id)) changed = true;
      });
      quietNodes = quiet;
      return changed;
    }

    /** Size nodes and fonts for the home zoom (constant size on screen), then show the whole map. */
    function calibrate() {
      var view = homeView();
      var next = 1 / view.scale;
      var labelsChanged = placeLabels(view);
      if (Math.abs(next - k) / k > 0.05 || labelsChanged) {
        k = next;
        restyleAll();
      }
      network.moveTo({ position: view.position, scale: view.scale, animation: false });
    }
    calibrate();
    var lastWidth = container.clientWidth;
    network.on("resize", function () {
      if (Math.abs(container.clientWidth - lastWidth) < 8) return;
      lastWidth = container.clientWidth;
      window.requestAnimationFrame(calibrate);
    });
    frame.appendChild(
      graphToolbar(network, container, "Concept map controls", function () {
        var view = homeView();
        network.moveTo({ position: view.position, scale: view.scale, animation: animation() });
      })
    );

    network.on("click", function (params) {
      if (!params.nodes || !params.nodes.length) return;
      var n = byId.get(params.nodes[0]);
      if (n && n.url && !n.current) window.location.href = n.url;
    });
    var labelled = [];
    function showLabels(edgeIds) {
      if (!quietLabels) return;
      hideLabels();
      labelled = edgeIds.slice();
      edges.update(labelled.map(function (id) {
        return { id: id, font: labelFont() };
      }));
    }
    function hideLabels() {
      if (!quietLabels || !labelled.length) return;
      edges.update(labelled.map(function (id) {
        return { id: id, font: HIDDEN_LABEL };
      }));
      labelled = [];
    }

    var revealed = null;
    network.on("hoverNode", function (params) {
      var n = byId.get(params.node);
      container.style.cursor = n && n.url && !n.current ? "pointer" : "default";
      showLabels(network.getConnectedEdges(params.node));
      if (quietNodes.has(params.node)) {
        revealed = params.node;
        nodes.update({ id: revealed, font: { color: theme.label, strokeColor: theme.halo } });
      }
    });
    network.on("blurNode", function () {
      container.style.cursor = "";
      hideLabels();
      if (revealed !== null && quietNodes.has(revealed)) nodes.update({ id: revealed, font: HIDDEN_LABEL });
      revealed = null;
    });
    network.on("hoverEdge", function (params) {
      showLabels([params.edge]);
    });
    network.on("blurEdge", hideLabels);

    // Ctrl/Cmd + wheel zooms around the pointer; a plain wheel scrolls the page.
    container.addEventListener(
      "wheel",
      function (event) {
        if (!event.ctrlKey && !event.metaKey) return;
        event.preventDefault();
        var rect = container.getBoundingClientRect();
        zoomBy(network, container, event.deltaY < 0 ? 1.15 : 1 / 1.15, event.clientX - rect.left, event.clientY - rect.top);
      },
      { passive: false }
    );

    onSchemeChange(function () {
      theme = graphTheme(container);
      hideLabels();
      restyleAll();
    });

    return { network: network, nodes: nodes, edges: edges };
  }

  /* ------------------------------------------------------------------ */
  /* 4. Graph explorer (graph.html)                                      */
  /* ------------------------------------------------------------------ */

  function initExplorer() {
    var canvas = doc.getElementById("explorer-canvas");
    if (!canvas) return;
    var data = window.KGWIKI_GRAPH;
    var info = doc.getElementById("explorer-info");
    if (!data || !Array.isArray(data.nodes) || !visAvailable()) {
      var note = el(
        "p",
        "explorer-message",
        !data ? "The graph data (assets/graph-data.js) could not be loaded." : "The graph viewer (vis-network) could not be loaded."
      );
      canvas.textContent = "";
      canvas.appendChild(note);
      return;
    }
    window.kgwikiExplorer = buildExplorer(canvas, data, info);
  }

  function buildExplorer(canvas, data, info) {
    var types = data.types || {};
    var links = data.links || {};
    var theme = graphTheme(canvas);

    var typeBoxes = doc.querySelectorAll('#filter-types input[name="type"]');
    var linkBoxes = doc.querySelectorAll('#filter-links input[name="link"]');
    var tagSelect = doc.getElementById("filter-tag");
    var counts = doc.getElementById("explorer-counts");
    var searchBox = doc.getElementById("explorer-search");

    // --- Nodes, sized by rank (more central = larger) ---
    var list = [];
    var byId = new Map();
    data.nodes.forEach(function (n) {
      if (n && n.id !== undefined && !byId.has(n.id)) {
        byId.set(n.id, n);
        list.push(n);
      }
    });
    // Frame for the canvas and its toolbar (a sibling, so it is not hidden inside role="img").
    // Wrap first: sizes below and the network depend on the canvas size.
    var frame = el("div", "graph-frame explorer-frame");
    canvas.parentNode.insertBefore(frame, canvas);
    frame.appendChild(canvas);

    // --- Sizes relative to the layout: positions can be in any unit, so node radii and label sizes
    // are set in screen pixels at the overview zoom (s0), scaled by rank, and by how crowded the
    // layout is (typical spacing between nodes). More central pages get larger dots and labels;
    // small labels appear only as one zooms in (vis-network's label drawThreshold).
    var minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
    list.forEach(function (n) {
      var x = Number(n.x) || 0;
      var y = Number(n.y) || 0;
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
    });
    if (!list.length) minX = maxX = minY = maxY = 0;
    var spanX = maxX - minX;
    var spanY = maxY - minY;
    var boxW = Math.max(200, canvas.clientWidth || 800) - 60;
    var boxH = Math.max(200, canvas.clientHeight || 600) - 60;
    var s0 = Math.min(spanX > 0 ? boxW / spanX : Infinity, spanY > 0 ? boxH / spanY : Infinity);
    if (!isFinite(s0) || s0 <= 0) s0 = 1;
    var spacing = spanX * spanY > 0 ? 0.5 * Math.sqrt((spanX * spanY) / list.length) : (spanX + spanY) / Math.max(1, list.length);
    var spacingPx = spacing > 0 ? spacing * s0 : 20;
    var home = { position: { x: (minX + maxX) / 2, y: (minY + maxY) / 2 }, scale: s0 };

    var ranks = list.map(function (n) {
      return Number(n.rank) || 0;
    });
    var minRank = Math.min.apply(null, ranks.length ? ranks : [0]);
    var maxRank = Math.max.apply(null, ranks.length ? ranks : [0]);
    var sizeOf = new Map(); // node radius, graph units
    var fontOf = new Map(); // label size, graph units
    list.forEach(function (n, i) {
      var t = maxRank > minRank ? (ranks[i] - minRank) / (maxRank - minRank) : 0.3;
      var radiusPx = Math.max(1.5, Math.min(12, spacingPx * (0.14 + 0.36 * Math.sqrt(t))));
      sizeOf.set(n.id, radiusPx / s0);
      fontOf.set(n.id, (5 + 9 * t) / s0);
    });

    // --- Edges, with ids so filters can hide them ---
    var edgeList = (data.edges || []).filter(function (e) {
      return e && byId.has(e.from) && byId.has(e.to);
    });
    var adjacency = new Map(); // node id -> array of edge indices
    edgeList.forEach(function (e, i) {
      if (!adjacency.has(e.from)) adjacency.set(e.from, []);
      if (!adjacency.has(e.to)) adjacency.set(e.to, []);
      adjacency.get(e.from).push(i);
      if (e.to !== e.from) adjacency.get(e.to).push(i);
    });

    var nodeHidden = new Map();
    var edgeHidden = new Array(edgeList.length);
    // Selection state. The highlight is painted over the canvas (see drawFocus) instead of restyling
    // every node and edge through the DataSets, which takes seconds at 10,000 nodes.
    var focusSet = null; // node ids of the selected node and its neighbours
    var focusEdges = null; // indices of the visible edges touching the selected node
    var selectedId = null;

    function fontSize(id) {
      return fontOf.get(id);
    }

    function nodeItem(n) {
      var color = typeColor(types, n.type);
      var item = {
        id: n.id,
        label: str(n.label || n.id),
        x: Number(n.x) || 0,
        y: Number(n.y) || 0,
        size: sizeOf.get(n.id),
        color: nodeColor(color, color, theme.ring),
        font: { size: fontSize(n.id) },
        title: nodeTooltip(n)
      };
      if (types[n.type] && types[n.type].shape) item.shape = types[n.type].shape;
      return item;
    }

    // Large graphs draw plain lines: dash patterns and arrowheads are computed in graph units and
    // cost seconds per frame at 10,000+ edges. The selection overlay always draws them.
    var fullEdgeStyle = edgeList.length <= 2000;

    function edgeItem(e, i) {
      var style = linkStyle(links, e.type);
      return {
        id: i,
        from: e.from,
        to: e.to,
        // Faint in the overview so that nodes stand out.
        color: edgeColor(style.color || DEFAULT_EDGE_COLOR, 0.45),
        dashes: fullEdgeStyle ? dashesOption(style.dashes) : false,
        arrows: fullEdgeStyle ? arrowsOption(style.arrows) : ""
      };
    }

    // --- Filters: type + link type + tag, applied through the DataSet `hidden` property ---
    function checkedValues(boxes) {
      var set = new Set();
      for (var i = 0; i < boxes.length; i++) if (boxes[i].checked) set.add(boxes[i].value);
      return set;
    }
    function listedValues(boxes) {
      var set = new Set();
      for (var i = 0; i < boxes.length; i++) set.add(boxes[i].value);
      return set;
    }

    function computeVisibility() {
      var shownTypes = checkedValues(typeBoxes);
      var knownTypes = listedValues(typeBoxes);
      var shownLinks = checkedValues(linkBoxes);
      var knownLinks = listedValues(linkBoxes);
      var tag = tagSelect ? tagSelect.value : "";
      var nodeState = new Map();
      list.forEach(function (n) {
        var typeOk = !knownTypes.has(n.type) || shownTypes.has(n.type);
        var tagOk = !tag || (Array.isArray(n.tags) && n.tags.indexOf(tag) !== -1);
        nodeState.set(n.id, !(typeOk && tagOk));
      });
      var edgeState = edgeList.map(function (e) {
        var linkOk = !knownLinks.has(e.type) || shownLinks.has(e.type);
        return !(linkOk && !nodeState.get(e.from) && !nodeState.get(e.to));
      });
      return { nodes: nodeState, edges: edgeState };
    }

    var initial = computeVisibility();
    var nodes = new window.vis.DataSet(
      list.map(function (n) {
        var item = nodeItem(n);
        item.type = n.type; // kept on the item so tests and tools can query the DataSet by page type
        item.hidden = initial.nodes.get(n.id);
        nodeHidden.set(n.id, item.hidden);
        return item;
      })
    );
    // Edges hidden at the start (a link type left unchecked, e.g. mentions in a large graph) are
    // not handed to vis-network until shown: building its items is most of the start-up time.
    var edgeAdded = [];
    var startEdges = [];
    edgeList.forEach(function (e, i) {
      edgeHidden[i] = initial.edges[i];
      if (!edgeHidden[i]) {
        var item = edgeItem(e, i);
        item.hidden = false;
        startEdges.push(item);
        edgeAdded[i] = true;
      }
    });
    var edges = new window.vis.DataSet(startEdges);

    var options = {
      autoResize: true,
      physics: { enabled: false },
      layout: { improvedLayout: false },
      interaction: {
        hover: true,
        hideEdgesOnDrag: true,
        hideEdgesOnZoom: true,
        tooltipDelay: 200,
        dragNodes: false,
        keyboard: false,
        multiselect: false
      },
      nodes: {
        shape: "dot",
        // Line widths in graph units: about 1 px in the overview, but never thick when zoomed in.
        borderWidth: Math.min(1 / s0, 2),
        font: { face: theme.font, color: theme.label, strokeWidth: Math.min(3 / s0, 4), strokeColor: theme.halo },
        scaling: { label: { drawThreshold: 10, maxVisible: 20 } }
      },
      edges: {
        width: Math.min(1 / s0, 2.5),
        smooth: false,
        hoverWidth: 0.5,
        selectionWidth: 1,
        arrowStrikethrough: false,
        arrows: { to: { scaleFactor: 0.5 }, from: { scaleFactor: 0.5 } }
      }
    };

    var network = new window.vis.Network(canvas, { nodes: nodes, edges: edges }, options);
    var explorerApi = null;
    // Time to first draw, from navigation start: read by bench/bench_explorer.py.
    network.once("afterDrawing", function () {
      if (explorerApi) explorerApi.firstDraw = performance.now();
      else window.__kgwikiFirstDraw = performance.now();
    });
    network.moveTo({ position: home.position, scale: home.scale, animation: false });
    frame.appendChild(
      graphToolbar(network, canvas, "Graph controls", function () {
        network.moveTo({ position: home.position, scale: home.scale, animation: animation() });
      })
    );


    function updateCounts() {
      if (!counts) return;
      var shownNodes = 0;
      var shownEdges = 0;
      nodeHidden.forEach(function (hidden) {
        if (!hidden) shownNodes++;
      });
      for (var i = 0; i < edgeHidden.length; i++) if (!edgeHidden[i]) shownEdges++;
      counts.textContent =
        "Showing " + formatCount(shownNodes) + " of " + formatCount(list.length) + " pages and " +
        formatCount(shownEdges) + " of " + formatCount(edgeList.length) + " links";
    }

    function applyFilters() {
      var vis = computeVisibility();
      var nodeChanges = [];
      var edgeChanges = [];
      vis.nodes.forEach(function (hidden, id) {
        if (nodeHidden.get(id) !== hidden) {
          nodeHidden.set(id, hidden);
          nodeChanges.push({ id: id, hidden: hidden });
        }
      });
      var edgeAdds = [];
      vis.edges.forEach(function (hidden, i) {
        if (edgeHidden[i] !== hidden) {
          edgeHidden[i] = hidden;
          if (edgeAdded[i]) {
            edgeChanges.push({ id: i, hidden: hidden });
          } else if (!hidden) {
            var item = edgeItem(edgeList[i], i);
            item.hidden = false;
            edgeAdds.push(item);
            edgeAdded[i] = true;
          }
        }
      });
      if (nodeChanges.length) nodes.update(nodeChanges);
      if (edgeChanges.length) edges.update(edgeChanges);
      if (edgeAdds.length) edges.add(edgeAdds);
      updateCounts();
      if (selectedId !== null) {
        if (nodeHidden.get(selectedId)) clearSelection();
        else highlight(selectedId);
      }
    }

    // --- Selection: highlight a node and its neighbours, grey out the rest ---
    function highlight(id) {
      var neighbourSet = new Set([id]);
      var edgeSet = new Set();
      (adjacency.get(id) || []).forEach(function (i) {
        if (edgeHidden[i]) return;
        edgeSet.add(i);
        neighbourSet.add(edgeList[i].from);
        neighbourSet.add(edgeList[i].to);
      });
      focusSet = neighbourSet;
      focusEdges = edgeSet;
      selectedId = id;
      network.selectNodes([id], false);
      network.redraw();
      showInfo(id, neighbourSet);
    }

    function clearSelection() {
      if (selectedId === null) return;
      focusSet = null;
      focusEdges = null;
      selectedId = null;
      network.unselectAll();
      network.redraw();
      showHint();
    }

    function arrowEnds(value) {
      var a = arrowsOption(value);
      if (typeof a === "string") return { to: a.indexOf("to") !== -1, from: a.indexOf("from") !== -1 };
      return {
        to: !!(a && a.to && a.to.enabled !== false),
        from: !!(a && a.from && a.from.enabled !== false)
      };
    }

    function drawArrow(ctx, from, to, gap, scale) {
      var dx = to.x - from.x;
      var dy = to.y - from.y;
      var len = Math.sqrt(dx * dx + dy * dy);
      if (len < 1e-6) return;
      var ux = dx / len;
      var uy = dy / len;
      var tipX = to.x - ux * gap;
      var tipY = to.y - uy * gap;
      var l = 9 / scale;
      var w = 4 / scale;
      ctx.beginPath();
      ctx.moveTo(tipX, tipY);
      ctx.lineTo(tipX - ux * l - uy * w, tipY - uy * l + ux * w);
      ctx.lineTo(tipX - ux * l + uy * w, tipY - uy * l - ux * w);
      ctx.closePath();
      ctx.fill();
    }

    /** Paint the selection: veil the whole graph, then redraw the selected neighbourhood on top. */
    function drawFocus(ctx) {
      if (selectedId === null || !focusSet) return;
      var scale = network.getScale();
      var w = canvas.clientWidth;
      var h = canvas.clientHeight;
      var topLeft = network.DOMtoCanvas({ x: 0, y: 0 });
      var bottomRight = network.DOMtoCanvas({ x: w, y: h });
      var ids = Array.from(focusSet);
      var pos = network.getPositions(ids);
      ctx.save();
      ctx.fillStyle = theme.veil;
      ctx.fillRect(topLeft.x, topLeft.y, bottomRight.x - topLeft.x, bottomRight.y - topLeft.y);

      // Edges of the selected node, in their link colour, dashes and arrowheads at screen scale.
      ctx.lineWidth = 2 / scale;
      ctx.lineCap = "round";
      focusEdges.forEach(function (i) {
        var e = edgeList[i];
        var a = pos[e.from];
        var b = pos[e.to];
        if (!a || !b || e.from === e.to) return;
        var style = linkStyle(links, e.type);
        var color = style.color || DEFAULT_EDGE_COLOR;
        var dashes = dashesOption(style.dashes);
        ctx.strokeStyle = color;
        ctx.fillStyle = color;
        ctx.setLineDash(
          dashes
            ? dashes.map(function (d) {
                return (d * 1.2) / scale;
              })
            : []
        );
        ctx.beginPath();
        ctx.moveTo(a.x, a.y);
        ctx.lineTo(b.x, b.y);
        ctx.stroke();
        ctx.setLineDash([]);
        var ends = arrowEnds(style.arrows);
        if (ends.to) drawArrow(ctx, a, b, sizeOf.get(e.to) + 1 / scale, scale);
        if (ends.from) drawArrow(ctx, b, a, sizeOf.get(e.from) + 1 / scale, scale);
      });

      // Nodes: the selected one last, with a ring.
      ids.sort(function (x, y) {
        return (x === selectedId) - (y === selectedId);
      });
      ids.forEach(function (id) {
        var p = pos[id];
        if (!p || nodeHidden.get(id)) return;
        var r = sizeOf.get(id);
        ctx.beginPath();
        ctx.arc(p.x, p.y, r, 0, 2 * Math.PI);
        ctx.fillStyle = typeColor(types, byId.get(id).type);
        ctx.fill();
        if (id === selectedId) {
          ctx.lineWidth = 3 / scale;
          ctx.strokeStyle = theme.ring;
          ctx.stroke();
        }
      });

      // Labels at a readable screen size, most central first; a label that would overlap one already
      // drawn is left out (the node's tooltip and the info panel still name it).
      var named = ids
        .filter(function (id) {
          return pos[id] && !nodeHidden.get(id);
        })
        .sort(function (x, y) {
          if (x === selectedId) return -1;
          if (y === selectedId) return 1;
          return sizeOf.get(y) - sizeOf.get(x);
        })
        .slice(0, 60);
      var placed = [];
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.lineJoin = "round";
      named.forEach(function (id) {
        var p = pos[id];
        // Same size and place as vis-network's own label when that is readable, so the two coincide.
        var size = Math.max(fontSize(id), 11 / scale);
        ctx.font = (id === selectedId ? "bold " : "") + size + "px " + theme.font.replace(/"/g, "");
        var text = str(byId.get(id).label || id);
        var y = p.y + sizeOf.get(id) + 4 + size; // vis-network: text middle at radius + 4 + font size
        var half = ctx.measureText(text).width / 2 + 2 / scale;
        var box = { l: p.x - half, r: p.x + half, t: y - size * 0.6, b: y + size * 0.6 };
        var clash = placed.some(function (o) {
          return box.l < o.r && box.r > o.l && box.t < o.b && box.b > o.t;
        });
        if (clash) return;
        placed.push(box);
        ctx.lineWidth = 4 / scale;
        ctx.strokeStyle = theme.halo;
        ctx.strokeText(text, p.x, y);
        ctx.fillStyle = theme.label;
        ctx.fillText(text, p.x, y);
      });
      ctx.restore();
    }
    network.on("afterDrawing", drawFocus);

    function showHint() {
      if (!info) return;
      info.textContent = "";
      info.appendChild(el("p", "explorer-hint", "Click a node to see its details and neighbours. Double-click opens the page."));
    }

    function showInfo(id, neighbourSet) {
      if (!info) return;
      var n = byId.get(id);
      info.textContent = "";
      var card = nodeCard(n, "explorer-card");
      if (Array.isArray(n.tags) && n.tags.length) {
        var tags = el("p", "explorer-card-tags");
        n.tags.forEach(function (t) {
          tags.appendChild(el("span", "tag", t));
          tags.appendChild(doc.createTextNode(" "));
        });
        card.appendChild(tags);
      }
      if (n.url) {
        var open = el("a", "button explorer-open", "Open page");
        open.href = ROOT + n.url;
        card.appendChild(open);
      }
      var neighbours = [];
      neighbourSet.forEach(function (other) {
        if (other !== id) neighbours.push(byId.get(other));
      });
      if (neighbours.length) {
        neighbours.sort(function (a, b) {
          return (Number(b.rank) || 0) - (Number(a.rank) || 0);
        });
        card.appendChild(el("p", "explorer-card-subhead", "Connected to " + formatCount(neighbours.length) + (neighbours.length === 1 ? " page" : " pages")));
        var ul = el("ul", "explorer-neighbours");
        neighbours.slice(0, 12).forEach(function (m) {
          var li = el("li");
          var b = el("button", "link-button", m.label || m.id);
          b.type = "button";
          b.addEventListener("click", function () {
            focusNode(m.id);
          });
          li.appendChild(b);
          ul.appendChild(li);
        });
        if (neighbours.length > 12) ul.appendChild(el("li", "muted", "and " + formatCount(neighbours.length - 12) + " more"));
        card.appendChild(ul);
      }
      info.appendChild(card);
    }

    function focusNode(id) {
      if (!byId.has(id)) return;
      network.focus(id, { scale: 1.2, animation: false });
      highlight(id);
      if (nodeHidden.get(id) && info) {
        info.insertBefore(el("p", "explorer-note", "This page is hidden by the current filters."), info.firstChild);
      }
    }

    network.on("click", function (params) {
      if (params.nodes && params.nodes.length) highlight(params.nodes[0]);
      else if (!params.edges || !params.edges.length) clearSelection();
    });
    network.on("doubleClick", function (params) {
      if (!params.nodes || !params.nodes.length) return;
      var n = byId.get(params.nodes[0]);
      if (n && n.url) window.location.href = ROOT + n.url;
    });
    network.on("hoverNode", function () {
      canvas.style.cursor = "pointer";
    });
    network.on("blurNode", function () {
      canvas.style.cursor = "";
    });

    function onFilterChange(event) {
      var t = event.target;
      if (t && (t.name === "type" || t.name === "link" || t.id === "filter-tag")) applyFilters();
    }
    var panel = doc.querySelector(".explorer-panel") || doc;
    panel.addEventListener("change", onFilterChange);
    // Browsers may restore form state when the page comes back from the history cache.
    window.addEventListener("pageshow", applyFilters);

    // Colour swatches next to the type and link filters, unless the template already drew them.
    Array.prototype.forEach.call(typeBoxes, function (box) {
      if (box.parentNode.querySelector(".swatch")) return;
      var swatch = el("span", "swatch");
      swatch.style.setProperty("--c", typeColor(types, box.value));
      swatch.setAttribute("aria-hidden", "true");
      box.insertAdjacentElement("afterend", swatch);
    });
    Array.prototype.forEach.call(linkBoxes, function (box) {
      if (box.parentNode.querySelector(".line")) return;
      var style = linkStyle(links, box.value);
      var line = el("span", "line" + (style.dashes ? " dashed" : ""));
      line.style.setProperty("--c", style.color || DEFAULT_EDGE_COLOR);
      line.setAttribute("aria-hidden", "true");
      box.insertAdjacentElement("afterend", line);
    });

    // --- Find a page: datalist of titles; Enter or picking a suggestion focuses the node ---
    if (searchBox) {
      var titles = new Map(); // folded title -> id
      var sorted = list.slice().sort(function (a, b) {
        return str(a.label).localeCompare(str(b.label));
      });
      sorted.forEach(function (n) {
        var key = fold(str(n.label || n.id)).trim();
        if (!titles.has(key)) titles.set(key, n.id);
      });
      // Use the template's datalist when it has one; otherwise build the suggestions here.
      var existing = searchBox.list;
      if (!existing || !existing.options.length) {
        var datalist = existing || el("datalist");
        if (!existing) {
          datalist.id = "explorer-titles";
          searchBox.parentNode.insertBefore(datalist, searchBox.nextSibling);
        }
        var fragment = doc.createDocumentFragment();
        sorted.forEach(function (n) {
          var option = el("option");
          option.value = str(n.label || n.id);
          fragment.appendChild(option);
        });
        datalist.appendChild(fragment);
        searchBox.setAttribute("list", datalist.id);
      }
      searchBox.setAttribute("autocomplete", "off");

      var findPage = function (query) {
        var q = fold(query).trim();
        if (!q) return null;
        if (titles.has(q)) return titles.get(q);
        var prefix = null;
        var infix = null;
        for (var i = 0; i < sorted.length; i++) {
          var t = fold(str(sorted[i].label || sorted[i].id));
          if (!prefix && t.lastIndexOf(q, 0) === 0) prefix = sorted[i].id;
          if (!infix && t.indexOf(q) !== -1) infix = sorted[i].id;
          if (prefix) break;
        }
        return prefix || infix;
      };

      searchBox.addEventListener("input", function (event) {
        // Choosing a datalist suggestion replaces the value: focus that page right away.
        var key = fold(searchBox.value).trim();
        if (titles.has(key) && (!event.inputType || event.inputType === "insertReplacementText")) {
          focusNode(titles.get(key));
        }
      });
      searchBox.addEventListener("keydown", function (event) {
        if (event.key !== "Enter") return;
        event.preventDefault();
        var id = findPage(searchBox.value);
        if (id !== null && id !== undefined) focusNode(id);
        else if (info && searchBox.value.trim()) {
          info.textContent = "";
          info.appendChild(el("p", "explorer-note", "No page matches \u201c" + searchBox.value.trim() + "\u201d."));
        }
      });
    }

    onSchemeChange(function () {
      theme = graphTheme(canvas);
      network.setOptions({ nodes: { font: { face: theme.font, color: theme.label, strokeColor: theme.halo } } });
    });

    updateCounts();
    showHint();
    explorerApi = { network: network, nodes: nodes, edges: edges,
                    firstDraw: window.__kgwikiFirstDraw || null };
    return explorerApi;
  }

  /* ------------------------------------------------------------------ */
  /* Start-up                                                            */
  /* ------------------------------------------------------------------ */

  function init() {
    var features = [initSearch, initPreviews, initConceptMaps, initExplorer];
    for (var i = 0; i < features.length; i++) features[i]();
  }

  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", init);
  else init();
})();
