/* The web chat widget: talks to Rasa's socket.io channel (user_uttered / bot_uttered).
 *
 * Every message, the bot's and the user's, is put in the page as text (textContent): only **bold**,
 * line breaks and http(s) links are rendered, by building elements, never by parsing HTML.
 * Who the user is comes from a signed session issued by the helpdesk service (POST /api/chat/session),
 * presented to Rasa's socket.io channel in session_request; the channel answers with the user id,
 * which is also the conversation id. The token and the id are kept in localStorage (the conversation
 * continues after a reload, and in another tab), the lines shown in sessionStorage (so a reload shows
 * them again). */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("chat-config").textContent);
  var KEYS = { session: "helpdesk-chat:session", token: "helpdesk-chat:token", history: "helpdesk-chat:history", lang: "helpdesk-chat:lang" };
  var MAX_HISTORY = 300;
  var I18n = window.I18n, t = I18n.t;   // the page's texts: helpdesk_service/web/i18n/<language>.json

  var log = document.getElementById("chat-log");
  var main = log.parentElement;
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var picker = document.getElementById("chat-language");
  var statusLine = document.getElementById("chat-status");
  var typing = document.getElementById("chat-typing");
  var intro = document.getElementById("chat-intro");

  function load(storage, key, fallback) {
    try { var v = storage.getItem(key); return v === null ? fallback : JSON.parse(v); } catch (e) { return fallback; }
  }
  function save(storage, key, value) {
    try { storage.setItem(key, JSON.stringify(value)); } catch (e) { /* private mode, quota: keep going */ }
  }

  var history = load(sessionStorage, KEYS.history, []);
  if (!Array.isArray(history)) history = [];
  var sessionId = load(localStorage, KEYS.session, null);
  var confirmed = false;
  var pending = [];
  var typingTimer = null;
  var uiLang = pickLanguage();

  function pickLanguage() {
    // the stored choice, else the browser's language if supported, else settings' default
    return I18n.choose(KEYS.lang);
  }

  function applyLanguage() {
    // the texts of the language (page and picker), then the log and the status line again in it
    return I18n.use(uiLang).then(function () {
      renderAll();
      if (statusLine.dataset.state) setStatus(statusLine.dataset.state);
    });
  }

  /* ---- rendering: text only ---- */

  var URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/g;

  function appendLinked(parent, text) {
    var last = 0, match;
    URL_RE.lastIndex = 0;
    while ((match = URL_RE.exec(text)) !== null) {
      var url = match[0].replace(/[.,;:!?)\]]+$/, "");
      var start = match.index;
      if (start > last) parent.appendChild(document.createTextNode(text.slice(last, start)));
      parent.appendChild(safeLink(url));
      last = start + url.length;
      URL_RE.lastIndex = last;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function safeLink(url) {
    var parsed;
    try { parsed = new URL(url); } catch (e) { return document.createTextNode(url); }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return document.createTextNode(url);
    var a = document.createElement("a");
    a.href = parsed.href;
    a.textContent = url;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    var hint = document.createElement("span");
    hint.className = "visually-hidden";
    hint.textContent = " " + t("chat.newtab");
    a.appendChild(hint);
    return a;
  }

  function appendInline(parent, line) {
    // **bold** segments; an unmatched ** stays as it is
    var parts = line.split(/\*\*(.+?)\*\*/);
    parts.forEach(function (part, i) {
      if (!part) return;
      if (i % 2 === 1) {
        var strong = document.createElement("strong");
        appendLinked(strong, part);
        parent.appendChild(strong);
      } else {
        appendLinked(parent, part);
      }
    });
  }

  function renderText(parent, text) {
    String(text).split(/\r?\n/).forEach(function (line, i) {
      if (i > 0) parent.appendChild(document.createElement("br"));
      appendInline(parent, line);
    });
  }

  function renderEntry(entry, index) {
    var li = document.createElement("li");
    li.className = "msg msg-" + (entry.from === "user" ? "user" : "bot");
    li.dataset.from = entry.from;
    var who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = (entry.from === "user" ? t("chat.you") : t("chat.bot")) + " ";
    li.appendChild(who);
    var body = document.createElement("span");
    body.className = "msg-text";
    renderText(body, entry.text || "");
    li.appendChild(body);
    if (entry.buttons && entry.buttons.length && !entry.answered) {
      var group = document.createElement("div");
      group.className = "quick-replies";
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", t("chat.replies"));
      entry.buttons.forEach(function (button) {
        var b = document.createElement("button");
        b.type = "button";
        b.className = "quick-reply";
        b.textContent = button.title;
        b.addEventListener("click", function () {
          send(button.payload, button.title);
          input.focus();
        });
        group.appendChild(b);
      });
      li.appendChild(group);
    }
    li.dataset.index = String(index);
    return li;
  }

  function renderAll() {
    log.textContent = "";
    history.forEach(function (entry, i) { log.appendChild(renderEntry(entry, i)); });
    intro.hidden = history.length > 0;
    main.scrollTop = main.scrollHeight;
  }

  function add(entry) {
    history.push(entry);
    if (history.length > MAX_HISTORY) history = history.slice(-MAX_HISTORY);
    save(sessionStorage, KEYS.history, history);
    log.appendChild(renderEntry(entry, history.length - 1));
    intro.hidden = true;
    main.scrollTop = main.scrollHeight;
  }

  function closeQuickReplies() {
    var changed = false;
    history.forEach(function (entry) {
      if (entry.buttons && entry.buttons.length && !entry.answered) { entry.answered = true; changed = true; }
    });
    if (changed) {
      save(sessionStorage, KEYS.history, history);
      log.querySelectorAll(".quick-replies").forEach(function (group) { group.remove(); });
    }
  }

  /* ---- what Rasa sends ---- */

  function followLanguage(language) {
    // the conversation moved to another language (the bot decided it from the user's words):
    // the page's texts and picker follow it
    if (typeof language !== "string" || config.languages.indexOf(language) < 0 || language === uiLang) return;
    uiLang = language;
    save(localStorage, KEYS.lang, uiLang);
    applyLanguage();
  }

  function fromBot(message) {
    if (message === null || typeof message !== "object") return;
    if (message.language) { followLanguage(message.language); if (!message.text && !message.buttons) return; }
    hideTyping();
    var buttons = message.quick_replies || message.buttons || [];
    buttons = Array.isArray(buttons) ? buttons.filter(function (b) {
      return b && typeof b.title === "string" && typeof b.payload === "string";
    }).map(function (b) { return { title: b.title, payload: b.payload }; }) : [];
    var text = typeof message.text === "string" ? message.text : "";
    var att = message.attachment;
    if (att && typeof att === "object" && att.payload && typeof att.payload.src === "string") {
      text += (text ? "\n" : "") + att.payload.src;   // an image: shown as a link
    }
    if (!text && !buttons.length) return;
    add({ from: "bot", text: text, buttons: buttons });
  }

  /* ---- sending ---- */

  function emit(payload) {
    // metadata.locale: the language picked on the page, for the actions (like a Teams activity's locale)
    socket.emit("user_uttered", { message: payload, metadata: { locale: uiLang } });
  }

  function send(payload, shown) {
    payload = String(payload || "").trim();
    if (!payload) return;
    closeQuickReplies();
    add({ from: "user", text: shown === undefined ? payload : shown });
    if (confirmed && socket.connected) emit(payload); else pending.push(payload);
    showTyping();
  }

  function showTyping() {
    typing.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, 20000);
  }
  function hideTyping() { typing.hidden = true; clearTimeout(typingTimer); }

  // the connection's state (data-state) and its text; connected: no text
  var STATUS_TEXTS = { connecting: "chat.connecting", offline: "chat.offline" };
  function setStatus(state) {
    statusLine.textContent = STATUS_TEXTS[state] ? t(STATUS_TEXTS[state]) : "";
    statusLine.dataset.state = state;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    input.value = "";
    send(text);
    input.focus();
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });
  picker.addEventListener("change", function () {
    if (config.languages.indexOf(picker.value) < 0) return;
    uiLang = picker.value;
    save(localStorage, KEYS.lang, uiLang);
    applyLanguage();
    // an intent payload: the bot switches without guessing from text
    send("/change_language" + JSON.stringify({ target_language: uiLang }), I18n.languageName(uiLang));
  });
  document.getElementById("chat-reset").addEventListener("click", function () {
    history = [];
    sessionId = null;
    confirmed = false;
    pending = [];
    try {
      sessionStorage.removeItem(KEYS.history);
      localStorage.removeItem(KEYS.session);
      localStorage.removeItem(KEYS.token);    // a new conversation is a new (anonymous) session
    } catch (e) { /* ignore */ }
    renderAll();
    hideTyping();
    socket.disconnect();
    socket.connect();
    input.focus();
  });

  /* ---- the socket ---- */

  var host = config.rasaHost || window.location.hostname;
  if (host.indexOf(":") >= 0 && host.charAt(0) !== "[") host = "[" + host + "]";
  var scheme = window.location.protocol === "https:" ? "https" : "http";
  var socket = window.io(scheme + "://" + host + ":" + config.rasaPort, {
    path: config.socketPath,
    transports: ["websocket", "polling"],
    tryAllTransports: true,
    reconnectionDelayMax: 5000
  });

  /* ---- the signed session ---- */

  // a site that signed its user in opens /chat#session=<identified token> (POST /api/chat/session/identified):
  // that session replaces the stored one, and the token leaves the address bar at once
  (function takeSessionFromTheLink() {
    var match = /(?:^#|&)session=([A-Za-z0-9._-]{20,1000})(?:&|$)/.exec(window.location.hash || "");
    if (!match) return;
    save(localStorage, KEYS.token, match[1]);
    try { localStorage.removeItem(KEYS.session); } catch (e) { /* ignore */ }
    try { window.history.replaceState(null, "", window.location.pathname + window.location.search); } catch (e) { /* ignore */ }
  })();

  var refusals = 0;
  function requestSession() {
    var current = load(localStorage, KEYS.token, null);
    fetch("/api/chat/session", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: typeof current === "string" ? current : null }),
      credentials: "same-origin"
    }).then(function (response) {
      if (!response.ok) throw new Error("session " + response.status);
      return response.json();
    }).then(function (session) {
      save(localStorage, KEYS.token, session.token);
      if (socket.connected) socket.emit("session_request", { token: session.token, locale: uiLang });
    }).catch(function () {
      setStatus("offline");
      setTimeout(function () { if (socket.connected && !confirmed) requestSession(); }, 5000);
    });
  }

  setStatus("connecting");
  socket.on("connect", function () {
    confirmed = false;
    requestSession();
  });
  socket.on("session_refused", function () {
    try { localStorage.removeItem(KEYS.token); } catch (e) { /* ignore */ }
    if (++refusals <= 3) requestSession(); else setStatus("offline");
  });
  socket.on("session_confirm", function (data) {
    var id = typeof data === "string" ? data : (data && data.session_id);
    if (!id) return;
    if (id !== sessionId) {          // a new conversation: what was shown belongs to another one
      history = [];
      save(sessionStorage, KEYS.history, history);
      renderAll();
    }
    sessionId = id;
    save(localStorage, KEYS.session, sessionId);
    confirmed = true;
    setStatus("connected");
    var queued = pending;
    pending = [];
    queued.forEach(emit);
  });
  socket.on("bot_uttered", fromBot);
  socket.on("disconnect", function () { confirmed = false; setStatus("offline"); });
  socket.on("connect_error", function () { setStatus("offline"); });

  renderAll();
  applyLanguage().then(function () { window.helpdeskChatReady = true; });
})();
