/* The texts of a page in the reader's language: one JSON file per language (/i18n/<language>.json, the
 * languages of settings.yml), flat keys namespaced per page ("console.take", "chat.send", "errors.<code>").
 *
 * The <html> element carries the languages (data-languages), the default one (data-default-language) and,
 * on the staff pages, where the reader's choice is kept (data-i18n-store, a localStorage key). The markup
 * names its texts with data-i18n (text), data-i18n-placeholder and data-i18n-aria-label; scripts build
 * theirs with I18n.t(key, {name: value}), which replaces "{name}" in the text (the result is put in the
 * page as text, never as HTML). A <select data-i18n-languages> gets one option per language, named in
 * that language; on a staff page choosing one stores it and switches the page. Dates and numbers are
 * formatted with Intl for the chosen language. */
(function () {
  "use strict";
  var root = document.documentElement;
  var languages = (root.getAttribute("data-languages") || "").split(/\s+/).filter(Boolean);
  var defaultLanguage = root.getAttribute("data-default-language") || languages[0];
  var storeKey = root.getAttribute("data-i18n-store");
  var files = {}, texts = {}, current = defaultLanguage, listeners = [], switched = false;

  function supported(language) { return typeof language === "string" && languages.indexOf(language) >= 0; }
  function stored(key) {
    try { return JSON.parse(localStorage.getItem(key)); } catch (e) { return null; }
  }
  function store(key, language) {
    try { localStorage.setItem(key, JSON.stringify(language)); } catch (e) { /* private mode, quota: keep going */ }
  }

  /* the reader's choice kept under `key`, else the browser's language if supported, else the default */
  function choose(key) {
    var kept = stored(key);
    if (supported(kept)) return kept;
    var browser = (navigator.language || "").split("-")[0].toLowerCase();
    return supported(browser) ? browser : defaultLanguage;
  }

  function load(language) {
    if (!files[language]) {
      var url = "/i18n/" + encodeURIComponent(language) + ".json";
      files[language] = fetch(url, { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) throw new Error(url + ": HTTP " + r.status);
        return r.json();
      }).catch(function (e) { delete files[language]; throw e; });
    }
    return files[language];
  }

  function has(key) { return Object.prototype.hasOwnProperty.call(texts, key); }

  function t(key, params) {
    var text = has(key) ? texts[key] : key;
    if (!params) return text;
    return text.replace(/\{(\w+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : all;
    });
  }

  /* the text of `prefix + value` (a status, a role, a kind sent by the server) if there is one, else the value */
  function label(prefix, value) { return has(prefix + value) ? texts[prefix + value] : String(value); }

  function each(scope, selector, fn) { Array.prototype.forEach.call(scope.querySelectorAll(selector), fn); }

  function apply(scope) {
    scope = scope || document;
    each(scope, "[data-i18n]", function (node) { node.textContent = t(node.getAttribute("data-i18n")); });
    each(scope, "[data-i18n-placeholder]", function (node) { node.placeholder = t(node.getAttribute("data-i18n-placeholder")); });
    each(scope, "[data-i18n-aria-label]", function (node) {
      node.setAttribute("aria-label", t(node.getAttribute("data-i18n-aria-label")));
    });
  }

  /* switch the page to `language`: its texts, <html lang>, the pickers; then the page's own listeners.
   * Only the latest switch asked for is applied (an earlier one may load after it). */
  var asked = 0;
  function use(language) {
    if (!supported(language)) language = defaultLanguage;
    var mine = ++asked;
    return load(language).then(function (data) {
      if (mine !== asked) return false;
      texts = data;
      current = language;
      root.lang = language;
      apply(document);
      each(document, "select[data-i18n-languages]", function (select) { select.value = language; });
      return true;
    }, function (e) {
      if (window.console) window.console.error(e);   // the page keeps the texts it has
      return mine === asked;
    }).then(function (latest) {
      if (!latest) return current;
      switched = true;
      listeners.forEach(function (fn) { fn(current); });
      return current;
    });
  }

  /* Intl wants a locale: the browser's own (nl-BE) when it is of the chosen language, else the language */
  function locale() {
    var browser = navigator.language || "";
    return browser.split("-")[0].toLowerCase() === current ? browser : current;
  }
  function date(value, withTime) {
    if (!value) return "-";
    var d = new Date(value);
    if (isNaN(d.getTime())) return String(value);
    var options = withTime === false ? { dateStyle: "medium" } : { dateStyle: "short", timeStyle: "short" };
    return new Intl.DateTimeFormat(locale(), options).format(d);
  }
  function number(value, options) {
    return typeof value === "number" ? new Intl.NumberFormat(locale(), options).format(value) : String(value);
  }
  function percent(value) {
    if (value === null || value === undefined) return "-";
    return number(value, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 });
  }
  function languageName(language) {
    try {
      var name = new Intl.DisplayNames([language], { type: "language" }).of(language);
      return name.charAt(0).toLocaleUpperCase(language) + name.slice(1);
    } catch (e) { return language; }
  }

  /* An error answer of the service ({detail, code}) in the reader's language: the text of errors.<code>
   * (or errors.http_<status> when the answer has no code) with the server's detail in it; an error without
   * a text of ours is shown as the server gave it. */
  function errorText(status, data) {
    var detail = data && typeof data.detail === "string" ? data.detail : "HTTP " + status;
    var key = data && typeof data.code === "string" ? "errors." + data.code : "errors.http_" + status;
    return has(key) ? t(key, { detail: detail }) : detail;
  }

  /* fetch's Error for a failed answer, with the text to show as its message */
  function failure(response, data) {
    var err = new Error(errorText(response.status, data));
    err.status = response.status;
    err.data = data;
    return err;
  }

  each(document, "select[data-i18n-languages]", function (select) {
    languages.forEach(function (language) {
      var option = new Option(languageName(language), language);
      option.lang = language;
      select.appendChild(option);
    });
    select.value = current;
    if (storeKey) {
      select.addEventListener("change", function () {
        if (!supported(select.value)) return;
        store(storeKey, select.value);
        use(select.value);
      });
    }
  });

  window.I18n = {
    languages: languages, defaultLanguage: defaultLanguage, choose: choose, use: use, t: t, has: has,
    label: label, apply: apply, date: date, number: number, percent: percent, languageName: languageName,
    errorText: errorText, failure: failure, store: store,
    language: function () { return current; },
    /* fn(language) after each switch, the first included: at once when the page has already switched
     * (the staff pages switch as soon as this script runs; their own script may come after that) */
    onChange: function (fn) {
      listeners.push(fn);
      if (switched) fn(current);
    }
  };
  if (storeKey) window.I18n.ready = use(choose(storeKey));
})();
