// The KB editor's page: inbox, map of problems, articles, content health, analytics.
// Every text from the server is put in the page with textContent; the only HTML inserted is the
// article preview, rendered by the server from Markdown with raw HTML escaped.
"use strict";
const CSRF = document.querySelector('meta[name="csrf-token"]').content;
const $ = (id) => document.getElementById(id);
let LANGS = [], INTENTS = [], ARTICLE = null, CHARTS = {};

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
function showError(text) { $("error").textContent = text || ""; }
async function api(path, options = {}) {
  const init = { method: options.method || "GET", headers: { "X-CSRF-Token": CSRF } };
  if (options.body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(options.body); }
  const response = await fetch(path, init);
  if (response.status === 401) { location.href = "/console/login?next=/editor"; throw new Error("signed out"); }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) { const err = new Error(data.detail || ("HTTP " + response.status)); err.status = response.status; err.data = data; throw err; }
  return data;
}
function guard(fn) { return (...args) => fn(...args).then(() => showError(""), (err) => showError(err.message)); }

// --- tabs ---
document.querySelectorAll("[role=tab]").forEach((tab) => tab.addEventListener("click", () => openTab(tab.dataset.tab)));
function openTab(name) {
  document.querySelectorAll("[role=tab]").forEach((t) => t.setAttribute("aria-selected", String(t.dataset.tab === name)));
  document.querySelectorAll(".tab").forEach((s) => { s.hidden = s.id !== "tab-" + name; });
  ({ inbox: loadInbox, map: loadMap, articles: loadArticles, health: loadHealth, analytics: loadAnalytics })[name]();
}
$("logout").addEventListener("click", guard(async () => { await api("/console/api/logout", { method: "POST" }).catch(() => {}); location.href = "/console/login"; }));

// --- inbox ---
function query(form) {
  const params = new URLSearchParams();
  new FormData(form).forEach((v, k) => { if (v !== "") params.set(k, v); });
  return params;
}
$("inbox-filters").addEventListener("submit", (e) => { e.preventDefault(); loadInbox(); });
// the intent an editor picked per inbox item survives a reload of the table (a reload may land
// between picking and clicking); only the newest load is drawn, and the table is aria-busy meanwhile
const pickedIntent = new Map();
let inboxLoads = 0;
const loadInbox = guard(async () => {
  const params = query($("inbox-filters"));
  if (!params.has("status")) params.set("status", "");
  const load = ++inboxLoads;
  $("inbox").setAttribute("aria-busy", "true");
  let data;
  try { data = await api("/editor/api/inbox?" + params); } finally {
    if (load === inboxLoads) $("inbox").setAttribute("aria-busy", "false");
  }
  if (load !== inboxLoads) return;
  LANGS = data.languages; INTENTS = data.intents;
  const langSelect = $("inbox-filters").elements.language;
  if (langSelect.options.length === 1) LANGS.forEach((l) => langSelect.append(new Option(l, l)));
  showRetrain(data.retrain);
  const body = $("inbox"); body.replaceChildren();
  if (!data.items.length) { const tr = el("tr"); tr.append(el("td", "Nothing here.")); body.append(tr); }
  data.items.forEach((item) => body.append(inboxRow(item)));
});
function inboxRow(item) {
  const tr = el("tr"); tr.dataset.id = item.id;
  tr.append(el("td", item.at.slice(0, 16).replace("T", " ")), el("td", item.text, "text"), el("td", item.kind),
    el("td", item.language), el("td", item.channel), el("td", item.intent),
    el("td", item.confidence === null ? "" : item.confidence.toFixed(2)), el("td", item.cluster || ""));
  const cell = el("td");
  const intent = el("select"); intent.setAttribute("aria-label", "Intent");
  INTENTS.forEach((i) => intent.append(new Option(i, i)));
  if (item.intent && INTENTS.includes(item.intent)) intent.value = item.intent;
  if (pickedIntent.has(item.id)) intent.value = pickedIntent.get(item.id);
  intent.addEventListener("change", () => pickedIntent.set(item.id, intent.value));
  const train = el("button", "Add as example"); train.type = "button"; train.className = "train";
  train.addEventListener("click", guard(async () => {
    const r = await api(`/editor/api/inbox/${item.id}/example`, { method: "POST", body: { intent: intent.value } });
    showRetrain(r.retrain); await loadInbox();
  }));
  const article = el("input"); article.placeholder = "article id"; article.size = 14; article.setAttribute("aria-label", "Article id");
  const link = el("button", "Link"); link.type = "button"; link.className = "link";
  link.addEventListener("click", guard(async () => { await api(`/editor/api/inbox/${item.id}/link`, { method: "POST", body: { article_id: article.value.trim() } }); await loadInbox(); }));
  const fine = el("button", "Fine"); fine.type = "button"; fine.className = "fine";
  fine.addEventListener("click", guard(async () => { await api(`/editor/api/inbox/${item.id}/status`, { method: "POST", body: { status: "fine" } }); await loadInbox(); }));
  const discard = el("button", "Discard"); discard.type = "button"; discard.className = "discard";
  discard.addEventListener("click", guard(async () => { await api(`/editor/api/inbox/${item.id}/status`, { method: "POST", body: { status: "discarded" } }); await loadInbox(); }));
  cell.append(intent, train, article, link, fine, discard);
  if (item.status !== "open") cell.append(el("span", " " + item.status, "badge"));
  tr.append(cell);
  return tr;
}
function showRetrain(status) {
  if (!status) return;
  $("retrain").textContent = status.state === "idle" ? "" : "Model: " + status.state + (status.error ? " (" + status.error + ")" : "");
}

// --- map ---
const loadMap = guard(async () => {
  const data = await api("/editor/api/clusters");
  $("map-summary").textContent = `${data.clusters.length} clusters, ${data.noise_count} messages in no cluster`;
  const box = $("clusters"); box.replaceChildren();
  data.clusters.forEach((c) => {
    const div = el("div", null, "cluster"); div.dataset.cluster = c.id;
    div.append(el("h3", `#${c.id} ${c.label}`));
    const langs = Object.entries(c.languages).map(([l, n]) => `${l} ${n}`).join(", ");
    div.append(el("p", `${c.count} messages; languages: ${langs}; weekly trend (oldest first): ${c.trend.join(" ")}`, "meta"));
    const list = el("ul"); c.examples.forEach((x) => list.append(el("li", `[${x.language}] ${x.text}`))); div.append(list);
    const write = el("button", "Write an article for this cluster"); write.type = "button"; write.className = "write";
    write.addEventListener("click", () => newArticle(c));
    div.append(write);
    box.append(div);
  });
  const noise = $("noise"); noise.replaceChildren();
  data.noise.forEach((i) => noise.append(el("li", `[${i.language}] ${i.text}`)));
});

// --- articles ---
const loadArticles = guard(async () => {
  const data = await api("/editor/api/articles");
  LANGS = data.languages;
  const select = $("article-list"); const keep = select.value; select.replaceChildren();
  data.articles.forEach((a) => select.append(new Option(`${a.id} (${a.languages.join(", ")})${a.missing.length ? " missing " + a.missing.join(", ") : ""}`, a.id)));
  if (keep) select.value = keep;
});
$("article-open").addEventListener("click", guard(async () => openArticle($("article-list").value)));
$("article-new").addEventListener("click", () => newArticle(null));
function slug(text) { return text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 50); }
function newArticle(cluster) {
  openTab("articles");
  const id = $("new-id").value.trim() || (cluster ? slug(cluster.label) : "");
  const variants = {};
  LANGS.forEach((l) => {
    const example = cluster ? cluster.examples.find((x) => x.language === l) : null;
    variants[l] = { exists: false, version: "", draft: null, body: "",
      fields: { title: "", category: "", tags: [], summary: example ? example.text : "" } };
  });
  if (cluster) {
    const body = "Questions this article answers:\n" + cluster.examples.map((x) => "- " + x.text).join("\n") + "\n\n1. ";
    LANGS.forEach((l) => { variants[l].body = body; });
  }
  ARTICLE = { id, isNew: true, variants, history: [], missing: LANGS.slice() };
  renderArticle();
}
async function openArticle(id) {
  const data = await api("/editor/api/articles/" + encodeURIComponent(id));
  ARTICLE = { id: data.id, isNew: false, variants: data.variants, history: data.history, missing: data.missing };
  renderArticle();
}
function field(label, value, name) {
  const wrap = el("label", label); const input = el("input"); input.name = name; input.value = value || ""; wrap.append(input); return wrap;
}
function renderArticle() {
  $("article-editor").hidden = false;
  $("article-title").textContent = ARTICLE.id || "(new article: give it an id)";
  const box = $("variants"); box.replaceChildren();
  LANGS.forEach((lang) => {
    const v = ARTICLE.variants[lang]; const src = v.draft || v;
    const div = el("div", null, "variant"); div.dataset.lang = lang;
    const head = el("h3", lang + " "); head.append(el("span", v.exists ? "published" : "missing translation", v.exists ? "badge" : "badge missing"));
    if (v.draft) head.append(el("span", " draft by " + v.draft.user, "badge"));
    div.append(head);
    if (ARTICLE.isNew && lang === LANGS[0]) div.append(field("Id", ARTICLE.id, "id"));
    div.append(field("Title", src.fields.title, "title"), field("Category", src.fields.category, "category"),
      field("Tags (comma separated)", (src.fields.tags || []).join(", "), "tags"), field("Summary", src.fields.summary, "summary"));
    const label = el("label", "Markdown"); const text = el("textarea"); text.name = "body"; text.value = src.body || ""; label.append(text); div.append(label);
    const inc = el("label"); const check = el("input"); check.type = "checkbox"; check.name = "include"; check.checked = Boolean(src.fields.title);
    inc.append(check, document.createTextNode(" publish this language")); div.append(inc);
    const prev = el("button", "Preview"); prev.type = "button";
    const out = el("div", null, "preview");
    prev.addEventListener("click", guard(async () => { const r = await api("/editor/api/preview", { method: "POST", body: { body: text.value } }); out.innerHTML = r.html; if (r.detail) showError(r.detail); }));
    div.append(prev, out);
    box.append(div);
  });
  const hist = $("history"); hist.replaceChildren();
  ARTICLE.history.forEach((h) => { const tr = el("tr"); tr.append(el("td", h.at.slice(0, 19).replace("T", " ")), el("td", h.user), el("td", h.lang), el("td", h.action), el("td", h.version)); hist.append(tr); });
}
function collect(onlyIncluded) {
  const idInput = document.querySelector('.variant input[name="id"]');
  if (idInput) ARTICLE.id = idInput.value.trim();
  const variants = {};
  document.querySelectorAll(".variant").forEach((div) => {
    const get = (n) => div.querySelector(`[name="${n}"]`);
    if (onlyIncluded && !get("include").checked) return;
    const lang = div.dataset.lang;
    variants[lang] = { base_version: ARTICLE.variants[lang].version || "", body: get("body").value,
      fields: { title: get("title").value, category: get("category").value, summary: get("summary").value,
        tags: get("tags").value.split(",").map((t) => t.trim()).filter(Boolean) } };
  });
  return variants;
}
$("publish").addEventListener("click", guard(async () => {
  const variants = collect(true);
  if (!ARTICLE.id) throw new Error("give the article an id");
  if (!Object.keys(variants).length) throw new Error("tick at least one language to publish");
  $("publish-result").textContent = "Publishing...";
  try {
    const r = await api(`/editor/api/articles/${encodeURIComponent(ARTICLE.id)}/publish`, { method: "POST", body: { variants, new: ARTICLE.isNew } });
    $("publish-result").textContent = `Published ${r.languages.join(", ") || "(no change)"}; ${r.embedded} variant(s) re-embedded; the search uses them now.`;
  } catch (err) {
    $("publish-result").textContent = "";
    if (err.status === 409 && err.data.current) { showConflict(err.data.current); }
    throw err;
  }
  const id = ARTICLE.id; await loadArticles(); $("article-list").value = id; await openArticle(id);
}));
function showConflict(current) {
  // keep the editor's text; show the other version next to it
  document.querySelectorAll(".variant").forEach((div) => {
    const other = current.variants[div.dataset.lang]; if (!other || !other.exists) return;
    const box = el("details"); box.open = true; box.append(el("summary", "Published meanwhile (version " + other.version + ")"));
    box.append(el("pre", other.body));
    div.append(box);
    ARTICLE.variants[div.dataset.lang].version = other.version;   // publishing again overwrites knowingly
  });
}
$("save-draft").addEventListener("click", guard(async () => {
  const variants = collect(true);   // first: it reads the id field
  if (!ARTICLE.id) throw new Error("give the article an id");
  await api(`/editor/api/articles/${encodeURIComponent(ARTICLE.id)}/draft`, { method: "POST", body: { variants } });
  $("publish-result").textContent = "Draft saved.";
}));
$("try-form").addEventListener("submit", (e) => { e.preventDefault(); guard(async () => {
  const variants = collect(true);   // first: it reads the id field
  const r = await api(`/editor/api/articles/${encodeURIComponent(ARTICLE.id || "draft")}/try`, { method: "POST", body: { question: $("try-question").value, variants } });
  const list = $("try-hits"); list.replaceChildren();
  r.hits.forEach((h) => list.append(el("li", `${h.draft ? "[this draft] " : ""}${h.article_id}.${h.lang} ${h.title} (${h.score})`)));
})(); });

// --- content health ---
const loadHealth = guard(async () => {
  const data = await api("/editor/api/health");
  const box = $("health"); box.replaceChildren();
  const sections = [["Not shown in the last " + data.days + " days", data.never_shown, (a) => a.id],
    ["Often did not help", data.not_helping, (a) => `${a.id}: ${a.not_helped}/${a.shown} did not help`],
    ["Often followed by an escalation", data.escalating, (a) => `${a.id}: ${a.escalated}/${a.shown} escalated`],
    ["Missing a language", data.missing_language, (a) => `${a.id}: missing ${a.missing.join(", ")}`]];
  sections.forEach(([title, rows, line]) => {
    box.append(el("h3", `${title} (${rows.length})`));
    const ul = el("ul"); ul.dataset.section = title; rows.slice(0, 200).forEach((r) => ul.append(el("li", line(r)))); box.append(ul);
  });
});

// --- analytics ---
$("analytics-filters").addEventListener("submit", (e) => { e.preventDefault(); loadAnalytics(); });
function pct(v) { return v === null || v === undefined ? "-" : (100 * v).toFixed(1) + " %"; }
const loadAnalytics = guard(async () => {
  const params = query($("analytics-filters")); const by = params.get("by") || "language"; params.delete("by");
  $("csv").href = "/editor/api/analytics.csv?" + params;
  const data = await api("/editor/api/analytics?" + params);
  const s = data.summary;
  const figures = [["Conversations", s.conversations], ["Self-service resolution", pct(s.deflection_rate)],
    ["Escalation rate", pct(s.escalation_rate)], ["Containment", pct(s.containment_rate)], ["Fallback rate", pct(s.fallback_rate)],
    ["CSAT (1-5)", s.csat.average === null ? "-" : `${s.csat.average} (${s.csat.answers})`]];
  const dl = $("figures"); dl.replaceChildren();
  figures.forEach(([k, v]) => { const d = el("div"); d.dataset.figure = k; d.append(el("dt", k), el("dd", v)); dl.append(d); });
  // breakdown table by language or channel
  const groups = {};
  data.rows.forEach((r) => { const g = groups[r[by]] = groups[r[by]] || { conversations: 0, escalated: 0, fallbacks: 0, user_messages: 0, solved: 0, not_solved: 0 };
    Object.keys(g).forEach((k) => { g[k] += r[k]; }); });
  const head = $("breakdown-head"); head.replaceChildren(...[by, "conversations", "escalation", "containment", "fallback rate", "self-service resolution"].map((h) => el("th", h)));
  const body = $("breakdown"); body.replaceChildren();
  Object.entries(groups).forEach(([k, g]) => { const tr = el("tr"); tr.dataset.group = k;
    tr.append(el("td", k), el("td", g.conversations), el("td", pct(g.conversations ? g.escalated / g.conversations : null)),
      el("td", pct(g.conversations ? 1 - g.escalated / g.conversations : null)), el("td", pct(g.user_messages ? g.fallbacks / g.user_messages : null)),
      el("td", pct(g.solved + g.not_solved ? g.solved / (g.solved + g.not_solved) : null))); body.append(tr); });
  if (typeof Chart === "undefined") { showError("the chart library is not installed: run scripts/install-web"); return; }
  const days = [...new Set(data.rows.map((r) => r.day))].sort();
  const datasets = Object.keys(groups).map((g) => ({ label: g, data: days.map((d) => data.rows.filter((r) => r.day === d && r[by] === g).reduce((a, r) => a + r.conversations, 0)) }));
  draw("chart-daily", { type: "bar", data: { labels: days, datasets }, options: { animation: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } } });
  draw("chart-rates", { type: "bar", data: { labels: ["self-service", "escalation", "containment", "fallback"],
    datasets: [{ label: "all", data: [s.deflection_rate, s.escalation_rate, s.containment_rate, s.fallback_rate].map((v) => v === null ? 0 : 100 * v) }] },
    options: { animation: false, scales: { y: { beginAtZero: true, max: 100 } } } });
  draw("chart-categories", { type: "bar", data: { labels: s.top_categories.map((c) => c.category), datasets: [{ label: "conversations", data: s.top_categories.map((c) => c.conversations) }] }, options: { animation: false, indexAxis: "y" } });
});
function draw(id, config) { if (CHARTS[id]) CHARTS[id].destroy(); CHARTS[id] = new Chart($(id), config); }

openTab("inbox");
