// The agent console: queue views, one open chat (context card, live messages, reply, note, canned
// responses, KB suggestions, take / transfer / hand back / resolve), presence. Polls the JSON API;
// every text from the server is put in the page with textContent (never as HTML).
(function () {
  "use strict";
  var I18n = window.I18n, tr = I18n.t;
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
      if (r.status === 401) { location.assign("/console/login?next=/console"); throw new Error(tr("common.signed_out")); }
      if (r.status === 204) return null;
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) throw I18n.failure(r, data);
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
  function when(iso) { return I18n.date(iso); }
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
  function showRole() { $("my-role").textContent = I18n.label("roles.", ROLE); }

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
      $("hours").textContent = data.open ? "" : tr("console.closed");
      Object.keys(data.counts).forEach(function (k) {
        document.querySelector("[data-count=" + k + "]").textContent = "(" + I18n.number(data.counts[k]) + ")";
      });
      var list = $("queue");
      list.textContent = "";
      data.items.forEach(function (item) {
        var li = el("li", null, "queue-item" + (item.id === openId ? " open" : ""));
        var button = el("button", null);
        button.type = "button";
        button.dataset.id = item.id;
        button.appendChild(el("strong", item.subject || tr("console.chat_n", { id: item.id })));
        button.appendChild(el("span", [item.priority, item.language, item.queue].join(" · "), "meta"));
        button.appendChild(el("span", view === "resolved"
          ? (I18n.label("console.state_", item.state) + (item.csat_score ? " · " + satisfaction(item.csat_score) : "") + " · " + (item.agent || ""))
          : tr("console.respond_by_at", { when: when(item.response_due) }) + (item.agent ? " · " + item.agent : ""), "meta"));
        button.addEventListener("click", function () { openConversation(item.id); });
        li.appendChild(button);
        list.appendChild(li);
      });
      if (!data.items.length) list.appendChild(el("li", tr("common.nothing_here"), "empty"));
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
    details.appendChild(el("summary", tr("console.context_ticket", { id: h.ticket_id })));
    var dl = el("dl");
    row(dl, tr("console.reason"), h.reason);
    if (t) {
      if (t.paraphrase) row(dl, tr("console.confirmed_problem"), t.paraphrase);
      else row(dl, tr("console.problem_as_written"), t.description || t.subject);
      row(dl, tr("console.language"), t.language);
      row(dl, tr("console.category"), t.category);
      row(dl, tr("console.priority"), t.priority);
      row(dl, tr("console.respond_by"), when(t.response_due));
      row(dl, tr("console.resolve_by"), when(t.resolution_due));
      row(dl, tr("console.skill_level"), t.skill_level);
      if (t.remote_control_consent !== null) {
        row(dl, tr("console.remote_control"), tr(t.remote_control_consent ? "console.remote_agreed" : "console.remote_refused",
                                                { when: when(t.remote_control_consent_at) }));
      }
      Object.keys(t.facts || {}).forEach(function (k) { row(dl, tr("console.fact", { name: k }), t.facts[k]); });
      row(dl, tr("console.requester"), t.requester.name || t.requester.id);
      row(dl, tr("console.channel"), t.requester.channel);
    }
    details.appendChild(dl);
    if (t && t.suggested_articles.length) {
      details.appendChild(el("h3", tr("console.articles_tried")));
      var ul = el("ul");
      t.suggested_articles.forEach(function (a) {
        ul.appendChild(el("li", a.article_id + ": " + I18n.label("console.outcome_", a.outcome).replace("_", " ")));
      });
      details.appendChild(ul);
    }
    if (ctx.earlier_tickets.length) {
      details.appendChild(el("h3", tr("console.earlier_tickets")));
      var ule = el("ul");
      ctx.earlier_tickets.forEach(function (e) {
        ule.appendChild(el("li", "#" + e.id + " " + e.subject + " (" + I18n.label("console.ticket_", e.status) + ", " + when(e.created_at) + ")"));
      });
      details.appendChild(ule);
    }
    if (t && t.transcript.length) {
      var transcript = el("details");
      transcript.appendChild(el("summary", tr("console.bot_conversation", { lines: I18n.number(t.transcript.length) })));
      var ol = el("ol", null, "transcript");
      t.transcript.forEach(function (line) {
        var li = el("li", null, "line-" + line.sender);
        li.appendChild(el("span", tr(line.sender === "bot" ? "console.bot" : "console.user"), "who"));
        li.appendChild(el("span", line.text, "text"));
        ol.appendChild(li);
      });
      transcript.appendChild(ol);
      details.appendChild(transcript);
    }
    card.appendChild(details);
  }
  function satisfaction(score) { return tr("console.satisfaction", { score: I18n.number(score) }); }
  function addMessages(messages) {
    messages.forEach(function (m) {
      if (shown[m.id] || m.handoff_id !== openId) return;
      shown[m.id] = true;
      var li = el("li", null, "msg msg-" + m.sender);
      li.appendChild(el("span", I18n.label("console.sender_", m.sender) + (m.author ? " (" + m.author + ")" : ""), "who"));
      li.appendChild(el("span", m.text, "text"));
      li.appendChild(el("time", when(m.at)));
      $("log").appendChild(li);
      lastMessage = Math.max(lastMessage, m.id);
    });
  }
  function renderState(h) {
    openChat = h;
    $("chat-title").textContent = tr("console.chat_title", { subject: h.subject || tr("console.chat"), id: h.ticket_id });
    var state = I18n.label("console.state_", h.state) + (h.agent ? " · " + h.agent : "");
    if (h.csat_score) state += " · " + satisfaction(h.csat_score) + (h.csat_comment ? " — " + h.csat_comment : "");
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
    // resolves true when done, false when refused (the error is shown; what the agent typed stays)
    return api("POST", "/chats/" + openId + path, body).then(function () { pollChat(); loadQueue(); return true; },
                                                             function (e) { showError(e); return false; });
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
    // emptied once sent, unless the agent typed the next one meanwhile (the user may see it before we do)
    act("/reply", { text: text }).then(function (done) { if (done && $("reply").value.trim() === text) $("reply").value = ""; });
  });
  $("note-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("note").value.trim();
    if (!text) return;
    act("/note", { text: text }).then(function (done) { if (done && $("note").value.trim() === text) $("note").value = ""; });
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
      if (!hits.length) ul.appendChild(el("li", tr("console.no_article")));
    }).catch(function () {});
  }
  function loadAgents() {
    api("GET", "/agents").then(function (data) {
      var select = $("transfer-to");
      select.textContent = "";
      data.agents.forEach(function (a) { var o = el("option", a); o.value = "agent:" + a; select.appendChild(o); });
      data.queues.forEach(function (q) { var o = el("option", tr("console.queue_n", { queue: q })); o.value = "queue:" + q; select.appendChild(o); });
    }).catch(function () {});
  }

  // -- known problems: detected ones are shown to users only once an agent confirms them -------------
  var problemsSeen = "";
  function loadProblems(force) {
    return api("GET", "/problems").then(function (items) {
      var key = JSON.stringify(items);
      if (key === problemsSeen && !force) return;      // keep what an agent is typing
      problemsSeen = key;
      var ul = $("problems");
      ul.textContent = "";
      if (!items.length) ul.appendChild(el("li", tr("console.no_problems")));
      items.forEach(function (p) { ul.appendChild(problemItem(p)); });
    }).catch(function (e) { $("problems-error").textContent = e.message || String(e); });
  }
  function problemItem(p) {
    var li = el("li", null, "problem"); li.dataset.id = p.id;
    li.appendChild(el("strong", p.title));
    li.appendChild(el("span", " " + tr("console.problem_reports", { count: I18n.number(p.incident_count), since: when(p.since) })));
    li.appendChild(el("span", " " + tr(p.confirmed ? "console.problem_confirmed" : "console.problem_unconfirmed"),
                      p.confirmed ? "badge" : "badge unconfirmed"));
    var form = el("form"), fields = {};
    I18n.languages.forEach(function (language) {
      var id = "problem-" + p.id + "-" + language, label = el("label", tr("console.problem_message", { language: I18n.languageName(language) }));
      var input = el("textarea"); input.id = id; input.rows = 2; input.maxLength = 500; input.value = p.messages[language] || "";
      label.htmlFor = id; fields[language] = input;
      form.appendChild(label); form.appendChild(input);
    });
    var confirm = el("button", tr(p.confirmed ? "console.save_problem" : "console.confirm_problem")); confirm.type = "submit";
    var resolve = el("button", tr("console.resolve_problem")); resolve.type = "button";
    form.appendChild(confirm); form.appendChild(resolve);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var messages = {};
      Object.keys(fields).forEach(function (l) { if (fields[l].value.trim()) messages[l] = fields[l].value.trim(); });
      api("PATCH", "/problems/" + p.id, { confirmed: true, messages: messages })
        .then(function () { $("problems-error").textContent = ""; return loadProblems(true); })
        .catch(function (err) { $("problems-error").textContent = err.message || String(err); });
    });
    resolve.addEventListener("click", function () {
      api("PATCH", "/problems/" + p.id, { status: "resolved" })
        .then(function () { return loadProblems(true); })
        .catch(function (err) { $("problems-error").textContent = err.message || String(err); });
    });
    li.appendChild(form);
    return li;
  }

  I18n.onChange(function () {   // the first time too: the texts are there
    showRole();
    loadQueue();
    loadProblems(true);
    if (openId !== null) openConversation(openId);
  });
  setInterval(loadQueue, 2000);
  setInterval(loadProblems, 15000);
  setInterval(pollChat, 1000);
})();
