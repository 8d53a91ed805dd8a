// The accounts page (admins): list, create, disable / enable, reset a password.
(function () {
  "use strict";
  var I18n = window.I18n, t = I18n.t;
  var CSRF = document.querySelector("meta[name=csrf-token]").content;
  var error = document.getElementById("accounts-error");
  function api(method, path, body) {
    var opts = { method: method, credentials: "same-origin", headers: { "X-CSRF-Token": CSRF } };
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    return fetch("/console/api" + path, opts).then(function (r) {
      if (r.status === 401) { location.assign("/console/login?next=/console/accounts"); throw new Error(t("common.signed_out")); }
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) throw I18n.failure(r, data);
        return data;
      });
    });
  }
  function cell(tr, text) { var td = document.createElement("td"); td.textContent = text; tr.appendChild(td); return td; }
  function button(td, label, onClick) {
    var b = document.createElement("button"); b.type = "button"; b.textContent = label;
    b.addEventListener("click", onClick); td.appendChild(b);
  }
  function fail(e) { error.textContent = e.message; }
  function load() {
    api("GET", "/accounts").then(function (accounts) {
      var body = document.getElementById("accounts");
      body.textContent = "";
      accounts.forEach(function (a) {
        var tr = document.createElement("tr");
        cell(tr, a.username); cell(tr, I18n.label("roles.", a.role));
        cell(tr, a.disabled ? t("accounts.disabled") : t("accounts.active"));
        var td = cell(tr, "");
        button(td, a.disabled ? t("accounts.enable") : t("accounts.disable"), function () {
          api("POST", "/accounts/" + encodeURIComponent(a.username) + (a.disabled ? "/enable" : "/disable")).then(load).catch(fail);
        });
        button(td, t("accounts.reset_password"), function () {
          var password = window.prompt(t("accounts.new_password_for", { user: a.username }));
          if (password) api("POST", "/accounts/" + encodeURIComponent(a.username) + "/password", { password: password })
            .then(function () { error.textContent = t("accounts.password_changed", { user: a.username }); }).catch(fail);
        });
        body.appendChild(tr);
      });
    }).catch(fail);
  }
  document.getElementById("new-account").addEventListener("submit", function (event) {
    event.preventDefault();
    error.textContent = "";
    api("POST", "/accounts", {
      username: document.getElementById("new-username").value, role: document.getElementById("new-role").value,
      password: document.getElementById("new-password").value
    }).then(function () { event.target.reset(); load(); }).catch(fail);
  });
  I18n.onChange(load);   // the first load too: the texts are there
})();
