// The agent console: queue views, one open chat (context card, live messages, reply, note, canned
// responses, KB suggestions, take / transfer / hand back / resolve), presence. Polls the JSON API;
// every text from the server is put in the page with textContent (never as HTML).
(function () {
  "use strict";
  var CSRF = document.querySelector("meta[name=csrf-token]").content;
  var ME = document.querySelector("meta[name=user]").content;
  var ROLE = document.querySelector("meta[name=role]").content;
  var view = "waiting", openId = null, lastMessage = 0, openChat = null, cannedLang = null;
  var shown = {};   // ids of the messages in the log: polls may overlap (the timer and an action's refresh)
  var $ = function (id) { return document.getElementById(id); };

  function api(method, path, body) {
    var opts = { method: method, credentials: "same-origin", headers: { "X-CSRF-Token": CSRF } };
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    return fetch("/console/api" + path, opts).then(function (r) {
      if (r.status === 401) { location.assign("/console/login?next=/console"); throw new Error("signed out"); }
      if (r.status === 204) return null;
      return r.json().then(function (data) {
        if (!r.ok) throw new Error(data.detail || ("HTTP " + r.status));
        return data;
      });
    });
  }
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function when(iso) { return iso ? new Date(iso).toLocaleString() : "-"; }
  function showError(e) { $("chat-error").textContent = e ? (e.message || String(e)) : ""; }

  // -- presence -----------------------------------------------------------------------------------
  function sendPresence() {
    api("POST", "/presence", { status: $("presence").value, capacity: parseInt($("capacity").value, 10) || 1 })
      .catch(showError);
  }
  $("presence").addEventListener("change", sendPresence);
  $("capacity").addEventListener("change", sendPresence);
  $("logout").addEventListener("click", function () {
    api("POST", "/logout").then(function () { location.assign("/console/login"); });
  });
  if (ROLE === "admin") $("accounts-link").hidden = false;

  // -- queue ----------------------------------------------------------------------------------------
  Array.prototype.forEach.call(document.querySelectorAll("#views [role=tab]"), function (tab) {
    tab.addEventListener("click", function () {
      view = tab.dataset.view;
      Array.prototype.forEach.call(document.querySelectorAll("#views [role=tab]"), function (t) {
        t.setAttribute("aria-selected", String(t === tab));
      });
      loadQueue();
    });
  });
  var presenceLoaded = false;
  function loadQueue() {
    return api("GET", "/queue?view=" + view).then(function (data) {
      if (!presenceLoaded) {
        $("presence").value = data.presence.status; $("capacity").value = data.presence.capacity;
        presenceLoaded = true;
      }
      $("hours").textContent = data.open ? "" : "Outside opening hours";
      Object.keys(data.counts).forEach(function (k) {
        document.querySelector("[data-count=" + k + "]").textContent = "(" + data.counts[k] + ")";
      });
      var list = $("queue");
      list.textContent = "";
      data.items.forEach(function (item) {
        var li = el("li", null, "queue-item" + (item.id === openId ? " open" : ""));
        var button = el("button", null);
        button.type = "button";
        button.dataset.id = item.id;
        button.appendChild(el("strong", item.subject || ("Chat " + item.id)));
        button.appendChild(el("span", [item.priority, item.language, item.queue].join(" · "), "meta"));
        button.appendChild(el("span", view === "resolved"
          ? (item.state + (item.csat_score ? " · satisfaction " + item.csat_score + "/5" : "") + " · " + (item.agent || ""))
          : "respond by " + when(item.response_due) + (item.agent ? " · " + item.agent : ""), "meta"));
        button.addEventListener("click", function () { openConversation(item.id); });
        li.appendChild(button);
        list.appendChild(li);
      });
      if (!data.items.length) list.appendChild(el("li", "Nothing here.", "empty"));
    }).catch(function () {});
  }

  // -- one chat -----------------------------------------------------------------------------------------
  function row(dl, term, value) {
    if (value === undefined || value === null || value === "" || (Array.isArray(value) && !value.length)) return;
    dl.appendChild(el("dt", term));
    dl.appendChild(el("dd", typeof value === "object" ? JSON.stringify(value) : value));
  }
  function renderCard(ctx) {
    var card = $("card"), t = ctx.ticket, h = ctx.handoff;
    card.textContent = "";
    var details = el("details"); details.open = true;
    details.appendChild(el("summary", "Context: ticket #" + h.ticket_id));
    var dl = el("dl");
    row(dl, "Reason", h.reason);
    if (t) {
      if (t.paraphrase) row(dl, "Confirmed problem", t.paraphrase);
      else row(dl, "Problem (as the user wrote it)", t.description || t.subject);
      row(dl, "Language", t.language);
      row(dl, "Category", t.category);
      row(dl, "Priority", t.priority);
      row(dl, "Respond by", when(t.response_due));
      row(dl, "Resolve by", when(t.resolution_due));
      row(dl, "Skill level", t.skill_level);
      if (t.remote_control_consent !== null) {
        row(dl, "Remote control", (t.remote_control_consent ? "agreed" : "refused") + " at " + when(t.remote_control_consent_at));
      }
      Object.keys(t.facts || {}).forEach(function (k) { row(dl, "Fact: " + k, t.facts[k]); });
      row(dl, "Requester", t.requester.name || t.requester.id);
      row(dl, "Channel", t.requester.channel);
    }
    details.appendChild(dl);
    if (t && t.suggested_articles.length) {
      details.appendChild(el("h3", "Articles tried"));
      var ul = el("ul");
      t.suggested_articles.forEach(function (a) { ul.appendChild(el("li", a.article_id + ": " + a.outcome.replace("_", " "))); });
      details.appendChild(ul);
    }
    if (ctx.earlier_tickets.length) {
      details.appendChild(el("h3", "Earlier tickets"));
      var ule = el("ul");
      ctx.earlier_tickets.forEach(function (e) { ule.appendChild(el("li", "#" + e.id + " " + e.subject + " (" + e.status + ", " + when(e.created_at) + ")")); });
      details.appendChild(ule);
    }
    if (t && t.transcript.length) {
      var tr = el("details"); tr.appendChild(el("summary", "Conversation with the bot (" + t.transcript.length + " lines)"));
      var ol = el("ol", null, "transcript");
      t.transcript.forEach(function (line) {
        var li = el("li", null, "line-" + line.sender);
        li.appendChild(el("span", line.sender === "bot" ? "Bot" : "User", "who"));
        li.appendChild(el("span", line.text, "text"));
        ol.appendChild(li);
      });
      tr.appendChild(ol);
      details.appendChild(tr);
    }
    card.appendChild(details);
  }
  var LABELS = { user: "User", agent: "Agent", note: "Private note", system: "Sent by the service", event: "Event" };
  function addMessages(messages) {
    messages.forEach(function (m) {
      if (shown[m.id] || m.handoff_id !== openId) return;
      shown[m.id] = true;
      var li = el("li", null, "msg msg-" + m.sender);
      li.appendChild(el("span", LABELS[m.sender] + (m.author ? " (" + m.author + ")" : ""), "who"));
      li.appendChild(el("span", m.text, "text"));
      li.appendChild(el("time", when(m.at)));
      $("log").appendChild(li);
      lastMessage = Math.max(lastMessage, m.id);
    });
  }
  function renderState(h) {
    openChat = h;
    $("chat-title").textContent = (h.subject || "Chat") + " — ticket #" + h.ticket_id;
    var state = h.state + (h.agent ? " · " + h.agent : "");
    if (h.csat_score) state += " · satisfaction " + h.csat_score + "/5" + (h.csat_comment ? " — " + h.csat_comment : "");
    $("chat-state").textContent = state;
    var mine = h.agent === ME && h.state === "active";
    $("take").hidden = h.state !== "waiting";
    ["handback", "resolve", "transfer", "transfer-to"].forEach(function (id) { $(id).hidden = !mine; });
    $("reply-form").hidden = !mine;
    $("note-form").hidden = !(h.agent === ME);
    if (cannedLang !== h.language) loadCanned(h.language);
  }
  function openConversation(id) {
    openId = id; lastMessage = 0; shown = {}; showError(null);
    $("log").textContent = ""; $("chat").hidden = false;
    api("GET", "/chats/" + id + "/context").then(function (ctx) {
      renderCard(ctx);
      renderState(ctx.handoff);
      addMessages(ctx.messages);
      loadSuggestions(); loadAgents();
    }).catch(showError);
    loadQueue();
  }
  function pollChat() {
    if (openId === null) return;
    api("GET", "/chats/" + openId + "?after=" + lastMessage).then(function (data) {
      if (data.handoff.id !== openId) return;          // another chat was opened meanwhile
      var had = lastMessage;
      renderState(data.handoff);
      addMessages(data.messages);
      if (data.messages.some(function (m) { return m.sender === "user"; }) && had) loadSuggestions();
    }).catch(function () {});
  }
  function act(path, body) {
    showError(null);
    return api("POST", "/chats/" + openId + path, body).then(function () { pollChat(); loadQueue(); }).catch(showError);
  }
  $("take").addEventListener("click", function () { act("/take"); });
  $("handback").addEventListener("click", function () { act("/handback"); });
  $("resolve").addEventListener("click", function () { act("/resolve"); });
  $("transfer").addEventListener("click", function () {
    var value = $("transfer-to").value;
    if (!value) return;
    act("/transfer", value.indexOf("queue:") === 0 ? { queue: value.slice(6) } : { to_agent: value.slice(6) });
  });
  $("reply-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("reply").value.trim();
    if (!text) return;
    act("/reply", { text: text }).then(function () { $("reply").value = ""; });
  });
  $("note-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("note").value.trim();
    if (!text) return;
    act("/note", { text: text }).then(function () { $("note").value = ""; });
  });
  var cannedTexts = {};
  function loadCanned(lang) {
    cannedLang = lang;
    api("GET", "/canned?lang=" + encodeURIComponent(lang)).then(function (items) {
      var select = $("canned");
      select.textContent = "";
      select.appendChild(el("option", "-"));
      select.firstChild.value = "";
      items.forEach(function (c) {
        var o = el("option", c.title); o.value = c.id; cannedTexts[c.id] = c.text; select.appendChild(o);
      });
    }).catch(function () {});
  }
  $("canned").addEventListener("change", function () {
    var text = cannedTexts[$("canned").value];
    if (text) { $("reply").value = text; $("reply").focus(); }
  });
  function loadSuggestions() {
    api("GET", "/chats/" + openId + "/suggestions").then(function (hits) {
      var ul = $("suggestions");
      ul.textContent = "";
      hits.forEach(function (h) {
        var li = el("li"), a = el("a", h.title);
        a.href = h.url; a.target = "_blank"; a.rel = "noopener noreferrer";
        li.appendChild(a); li.appendChild(el("span", " — " + h.summary));
        ul.appendChild(li);
      });
      if (!hits.length) ul.appendChild(el("li", "No article matches."));
    }).catch(function () {});
  }
  function loadAgents() {
    api("GET", "/agents").then(function (data) {
      var select = $("transfer-to");
      select.textContent = "";
      data.agents.forEach(function (a) { var o = el("option", a); o.value = "agent:" + a; select.appendChild(o); });
      data.queues.forEach(function (q) { var o = el("option", "queue " + q); o.value = "queue:" + q; select.appendChild(o); });
    }).catch(function () {});
  }

  loadQueue();
  setInterval(loadQueue, 2000);
  setInterval(pollChat, 1000);
})();
