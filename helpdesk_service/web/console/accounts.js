// The accounts page (admins): list, create, disable / enable, reset a password.
(function () {
  "use strict";
  var CSRF = document.querySelector("meta[name=csrf-token]").content;
  var error = document.getElementById("accounts-error");
  function api(method, path, body) {
    var opts = { method: method, credentials: "same-origin", headers: { "X-CSRF-Token": CSRF } };
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    return fetch("/console/api" + path, opts).then(function (r) {
      if (r.status === 401) { location.assign("/console/login?next=/console/accounts"); throw new Error("signed out"); }
      return r.json().then(function (data) { if (!r.ok) throw new Error(data.detail || "HTTP " + r.status); return data; });
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
        cell(tr, a.username); cell(tr, a.role); cell(tr, a.disabled ? "disabled" : "active");
        var td = cell(tr, "");
        button(td, a.disabled ? "Enable" : "Disable", function () {
          api("POST", "/accounts/" + encodeURIComponent(a.username) + (a.disabled ? "/enable" : "/disable")).then(load).catch(fail);
        });
        button(td, "Reset password", function () {
          var password = window.prompt("New password for " + a.username + " (at least 10 characters)");
          if (password) api("POST", "/accounts/" + encodeURIComponent(a.username) + "/password", { password: password })
            .then(function () { error.textContent = "Password of " + a.username + " changed."; }).catch(fail);
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
  load();
})();
