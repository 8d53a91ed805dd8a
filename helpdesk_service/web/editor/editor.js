// The KB editor's page: inbox, map of problems, articles, content health, analytics.
// Every text from the server is put in the page with textContent; the only HTML inserted is the
// article preview, rendered by the server from Markdown with raw HTML escaped.
"use strict";
const { t } = I18n;
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
  if (response.status === 401) { location.href = "/console/login?next=/editor"; throw new Error(t("common.signed_out")); }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw I18n.failure(response, data);
  return data;
}
function guard(fn) { return (...args) => fn(...args).then(() => showError(""), (err) => showError(err.message)); }

// --- tabs ---
document.querySelectorAll("[role=tab]").forEach((tab) => tab.addEventListener("click", () => openTab(tab.dataset.tab)));
let currentTab = "inbox";
function openTab(name) {
  currentTab = name;
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
  if (!data.items.length) { const tr = el("tr"); tr.append(el("td", t("common.nothing_here"))); body.append(tr); }
  data.items.forEach((item) => body.append(inboxRow(item)));
});
function inboxRow(item) {
  const tr = el("tr"); tr.dataset.id = item.id;
  tr.append(el("td", I18n.date(item.at)), el("td", item.text, "text"), el("td", I18n.label("editor.kind_", item.kind)),
    el("td", item.language), el("td", item.channel), el("td", item.intent),
    el("td", item.confidence === null ? "" : I18n.number(item.confidence, { minimumFractionDigits: 2, maximumFractionDigits: 2 })),
    el("td", item.cluster || ""));
  const cell = el("td");
  const intent = el("select"); intent.setAttribute("aria-label", t("editor.intent"));
  INTENTS.forEach((i) => intent.append(new Option(i, i)));
  if (item.intent && INTENTS.includes(item.intent)) intent.value = item.intent;
  if (pickedIntent.has(item.id)) intent.value = pickedIntent.get(item.id);
  intent.addEventListener("change", () => pickedIntent.set(item.id, intent.value));
  const train = el("button", t("editor.add_example")); train.type = "button"; train.className = "train";
  train.addEventListener("click", guard(async () => {
    const r = await api(`/editor/api/inbox/${item.id}/example`, { method: "POST", body: { intent: intent.value } });
    showRetrain(r.retrain); await loadInbox();
  }));
  const article = el("input"); article.placeholder = t("editor.article_id_placeholder"); article.size = 14;
  article.setAttribute("aria-label", t("editor.article_id"));
  const link = el("button", t("editor.link")); link.type = "button"; link.className = "link";
  link.addEventListener("click", guard(async () => { await api(`/editor/api/inbox/${item.id}/link`, { method: "POST", body: { article_id: article.value.trim() } }); await loadInbox(); }));
  const fine = el("button", t("editor.fine")); fine.type = "button"; fine.className = "fine";
  fine.addEventListener("click", guard(async () => { await api(`/editor/api/inbox/${item.id}/status`, { method: "POST", body: { status: "fine" } }); await loadInbox(); }));
  const discard = el("button", t("editor.discard")); discard.type = "button"; discard.className = "discard";
  discard.addEventListener("click", guard(async () => { await api(`/editor/api/inbox/${item.id}/status`, { method: "POST", body: { status: "discarded" } }); await loadInbox(); }));
  cell.append(intent, train, article, link, fine, discard);
  if (item.status !== "open") cell.append(el("span", " " + I18n.label("editor.status_", item.status), "badge"));
  tr.append(cell);
  return tr;
}
function showRetrain(status) {
  if (!status) return;
  $("retrain").textContent = status.state === "idle" ? ""
    : t("editor.model", { state: I18n.label("editor.model_", status.state) }) + (status.error ? " (" + status.error + ")" : "");
  $("retrain").dataset.state = status.state;
  if (status.state === "training" || status.state === "queued") setTimeout(followRetrain, 3000);
}
const followRetrain = guard(async () => showRetrain(await api("/editor/api/retrain")));
$("retrain-now").addEventListener("click", guard(async () => showRetrain(await api("/editor/api/retrain", { method: "POST" }))));

// --- map ---
const loadMap = guard(async () => {
  const data = await api("/editor/api/clusters");
  $("map-summary").textContent = t("editor.map_summary", { clusters: I18n.number(data.clusters.length), noise: I18n.number(data.noise_count) });
  const box = $("clusters"); box.replaceChildren();
  data.clusters.forEach((c) => {
    const div = el("div", null, "cluster"); div.dataset.cluster = c.id;
    div.append(el("h3", `#${c.id} ${c.label}`));
    const langs = Object.entries(c.languages).map(([l, n]) => `${l} ${I18n.number(n)}`).join(", ");
    div.append(el("p", t("editor.cluster_meta", { count: I18n.number(c.count), languages: langs, trend: c.trend.map((n) => I18n.number(n)).join(" ") }), "meta"));
    const list = el("ul"); c.examples.forEach((x) => list.append(el("li", `[${x.language}] ${x.text}`))); div.append(list);
    const write = el("button", t("editor.write_article")); write.type = "button"; write.className = "write";
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
  data.articles.forEach((a) => select.append(new Option(`${a.id} (${a.languages.join(", ")})`
    + (a.missing.length ? " " + t("editor.missing_languages", { languages: a.missing.join(", ") }) : ""), a.id)));
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
    const body = t("editor.questions_answered") + "\n" + cluster.examples.map((x) => "- " + x.text).join("\n") + "\n\n1. ";
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
// a text built here that the page's language switch relabels in place (an open article keeps what was typed)
function text(tag, key, cls) { const e = el(tag, t(key), cls); e.dataset.i18n = key; return e; }
function field(key, value, name) {
  const wrap = el("label"); const input = el("input"); input.name = name; input.value = value || "";
  wrap.append(text("span", key), input); return wrap;
}
function renderArticle() {
  $("article-editor").hidden = false;
  $("article-title").replaceChildren(ARTICLE.id || text("span", "editor.new_article_title"));
  const box = $("variants"); box.replaceChildren();
  LANGS.forEach((lang) => {
    const v = ARTICLE.variants[lang]; const src = v.draft || v;
    const div = el("div", null, "variant"); div.dataset.lang = lang;
    const head = el("h3", lang + " ");
    head.append(text("span", v.exists ? "editor.published" : "editor.missing_translation", v.exists ? "badge" : "badge missing"));
    if (v.draft) head.append(el("span", " " + t("editor.draft_by", { user: v.draft.user }), "badge"));
    div.append(head);
    if (ARTICLE.isNew && lang === LANGS[0]) div.append(field("editor.field_id", ARTICLE.id, "id"));
    div.append(field("editor.field_title", src.fields.title, "title"), field("editor.field_category", src.fields.category, "category"),
      field("editor.field_tags", (src.fields.tags || []).join(", "), "tags"), field("editor.field_summary", src.fields.summary, "summary"));
    const label = el("label"); const body = el("textarea"); body.name = "body"; body.value = src.body || "";
    label.append(text("span", "editor.field_markdown"), body); div.append(label);
    const inc = el("label"); const check = el("input"); check.type = "checkbox"; check.name = "include"; check.checked = Boolean(src.fields.title);
    inc.append(check, " ", text("span", "editor.publish_language")); div.append(inc);
    const prev = text("button", "editor.preview"); prev.type = "button";
    const out = el("div", null, "preview");
    prev.addEventListener("click", guard(async () => { const r = await api("/editor/api/preview", { method: "POST", body: { body: body.value } }); out.innerHTML = r.html; if (r.detail) showError(r.detail); }));
    div.append(prev, out);
    box.append(div);
  });
  const hist = $("history"); hist.replaceChildren();
  ARTICLE.history.forEach((h) => {
    const tr = el("tr");
    tr.append(el("td", I18n.date(h.at)), el("td", h.user), el("td", h.lang), el("td", I18n.label("editor.action_", h.action)), el("td", h.version));
    hist.append(tr);
  });
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
  if (!ARTICLE.id) throw new Error(t("editor.needs_id"));
  if (!Object.keys(variants).length) throw new Error(t("editor.needs_language"));
  $("publish-result").textContent = t("editor.publishing");
  try {
    const r = await api(`/editor/api/articles/${encodeURIComponent(ARTICLE.id)}/publish`, { method: "POST", body: { variants, new: ARTICLE.isNew } });
    $("publish-result").textContent = t("editor.published_result",
      { languages: r.languages.join(", ") || t("editor.no_change"), count: I18n.number(r.embedded) });
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
    const box = el("details"); box.open = true; box.append(el("summary", t("editor.published_meanwhile", { version: other.version })));
    box.append(el("pre", other.body));
    div.append(box);
    ARTICLE.variants[div.dataset.lang].version = other.version;   // publishing again overwrites knowingly
  });
}
$("save-draft").addEventListener("click", guard(async () => {
  const variants = collect(true);   // first: it reads the id field
  if (!ARTICLE.id) throw new Error(t("editor.needs_id"));
  await api(`/editor/api/articles/${encodeURIComponent(ARTICLE.id)}/draft`, { method: "POST", body: { variants } });
  $("publish-result").textContent = t("editor.draft_saved");
}));
$("try-form").addEventListener("submit", (e) => { e.preventDefault(); guard(async () => {
  const variants = collect(true);   // first: it reads the id field
  const r = await api(`/editor/api/articles/${encodeURIComponent(ARTICLE.id || "draft")}/try`, { method: "POST", body: { question: $("try-question").value, variants } });
  const list = $("try-hits"); list.replaceChildren();
  r.hits.forEach((h) => list.append(el("li", `${h.draft ? t("editor.this_draft") + " " : ""}${h.article_id}.${h.lang} ${h.title} (${I18n.number(h.score)})`)));
})(); });

// --- content health ---
const loadHealth = guard(async () => {
  const data = await api("/editor/api/health");
  const box = $("health"); box.replaceChildren();
  const n = I18n.number;
  const sections = [["never_shown", t("editor.health_never_shown", { days: n(data.days) }), data.never_shown, (a) => a.id],
    ["not_helping", t("editor.health_not_helping"), data.not_helping,
      (a) => `${a.id}: ${t("editor.health_not_helped", { count: n(a.not_helped), shown: n(a.shown) })}`],
    ["escalating", t("editor.health_escalating"), data.escalating,
      (a) => `${a.id}: ${t("editor.health_escalated", { count: n(a.escalated), shown: n(a.shown) })}`],
    ["missing_language", t("editor.health_missing_language"), data.missing_language,
      (a) => `${a.id}: ${t("editor.missing_languages", { languages: a.missing.join(", ") })}`]];
  sections.forEach(([id, title, rows, line]) => {
    box.append(el("h3", `${title} (${n(rows.length)})`));
    const ul = el("ul"); ul.dataset.section = id; rows.slice(0, 200).forEach((r) => ul.append(el("li", line(r)))); box.append(ul);
  });
});

// --- analytics ---
$("analytics-filters").addEventListener("submit", (e) => { e.preventDefault(); loadAnalytics(); });
const pct = I18n.percent;
const loadAnalytics = guard(async () => {
  const params = query($("analytics-filters")); const by = params.get("by") || "language"; params.delete("by");
  $("csv").href = "/editor/api/analytics.csv?" + params;
  const data = await api("/editor/api/analytics?" + params);
  const s = data.summary;
  // data-figure: a fixed name of the figure (the label is in the page's language)
  const figures = [["Conversations", "editor.fig_conversations", I18n.number(s.conversations)],
    ["Self-service resolution", "editor.fig_deflection", pct(s.deflection_rate)],
    ["Escalation rate", "editor.fig_escalation", pct(s.escalation_rate)], ["Containment", "editor.fig_containment", pct(s.containment_rate)],
    ["Fallback rate", "editor.fig_fallback", pct(s.fallback_rate)],
    ["CSAT (1-5)", "editor.fig_csat", s.csat.average === null ? "-" : `${I18n.number(s.csat.average)} (${I18n.number(s.csat.answers)})`],
    ["SLA response", "editor.fig_sla_response", pct(s.sla.response_attainment)],
    ["SLA resolution", "editor.fig_sla_resolution", pct(s.sla.resolution_attainment)]];
  const dl = $("figures"); dl.replaceChildren();
  figures.forEach(([name, key, v]) => { const d = el("div"); d.dataset.figure = name; d.append(el("dt", t(key)), el("dd", v)); dl.append(d); });
  // breakdown table by language or channel
  const groups = {};
  data.rows.forEach((r) => { const g = groups[r[by]] = groups[r[by]] || { conversations: 0, escalated: 0, fallbacks: 0, user_messages: 0, solved: 0, not_solved: 0 };
    Object.keys(g).forEach((k) => { g[k] += r[k]; }); });
  // SLA attainment by the same key, from the tickets (met / (met + missed))
  const sla = {};
  s.sla.rows.forEach((r) => { const g = sla[r[by]] = sla[r[by]] || { response_met: 0, response_missed: 0, resolution_met: 0, resolution_missed: 0 };
    Object.keys(g).forEach((k) => { g[k] += r[k]; }); });
  const share = (met, missed) => pct(met + missed ? met / (met + missed) : null);
  const head = $("breakdown-head");
  head.replaceChildren(...[`editor.by_${by}`, "editor.col_conversations", "editor.col_escalation", "editor.col_containment",
    "editor.col_fallback", "editor.col_deflection", "editor.col_sla_response", "editor.col_sla_resolution"].map((key) => el("th", t(key))));
  const body = $("breakdown"); body.replaceChildren();
  [...new Set([...Object.keys(groups), ...Object.keys(sla)])].forEach((k) => {
    const g = groups[k] || { conversations: 0, escalated: 0, fallbacks: 0, user_messages: 0, solved: 0, not_solved: 0 };
    const a = sla[k] || { response_met: 0, response_missed: 0, resolution_met: 0, resolution_missed: 0 };
    const tr = el("tr"); tr.dataset.group = k;
    tr.append(el("td", k), el("td", I18n.number(g.conversations)), el("td", pct(g.conversations ? g.escalated / g.conversations : null)),
      el("td", pct(g.conversations ? 1 - g.escalated / g.conversations : null)), el("td", pct(g.user_messages ? g.fallbacks / g.user_messages : null)),
      el("td", pct(g.solved + g.not_solved ? g.solved / (g.solved + g.not_solved) : null)),
      el("td", share(a.response_met, a.response_missed)), el("td", share(a.resolution_met, a.resolution_missed))); body.append(tr); });
  if (typeof Chart === "undefined") { showError(t("editor.no_chart_library")); return; }
  const days = [...new Set(data.rows.map((r) => r.day))].sort();
  const locale = I18n.language();
  const datasets = Object.keys(groups).map((g) => ({ label: g, data: days.map((d) => data.rows.filter((r) => r.day === d && r[by] === g).reduce((a, r) => a + r.conversations, 0)) }));
  draw("chart-daily", { type: "bar", data: { labels: days, datasets }, options: { locale, animation: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } } });
  draw("chart-rates", { type: "bar", data: { labels: ["editor.rate_deflection", "editor.rate_escalation", "editor.rate_containment", "editor.rate_fallback"].map((key) => t(key)),
    datasets: [{ label: t("editor.all"), data: [s.deflection_rate, s.escalation_rate, s.containment_rate, s.fallback_rate].map((v) => v === null ? 0 : 100 * v) }] },
    options: { locale, animation: false, scales: { y: { beginAtZero: true, max: 100 } } } });
  draw("chart-categories", { type: "bar", data: { labels: s.top_categories.map((c) => c.category), datasets: [{ label: t("editor.col_conversations"), data: s.top_categories.map((c) => c.conversations) }] }, options: { locale, animation: false, indexAxis: "y" } });
});
function draw(id, config) { if (CHARTS[id]) CHARTS[id].destroy(); CHARTS[id] = new Chart($(id), config); }

// the first time too (the texts are there); an open article keeps what was typed: its labels switch in place
I18n.onChange(() => {
  $("my-role").textContent = I18n.label("roles.", document.querySelector('meta[name="role"]').content);
  openTab(currentTab);
});
