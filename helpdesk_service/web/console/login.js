// Sign-in page: posts the credentials as JSON, then goes to the page asked for (only /console pages).
(function () {
  "use strict";
  var t = window.I18n.t;
  var form = document.getElementById("login-form");
  var error = document.getElementById("login-error");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    error.textContent = "";
    fetch("/console/api/login", {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: form.username.value, password: form.password.value })
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) { return { status: r.status, ok: r.ok, body: body }; });
    }).then(function (res) {
      if (!res.ok) {
        error.textContent = res.status === 401 ? t("login.failed") : window.I18n.errorText(res.status, res.body);
        return;
      }
      var next = new URLSearchParams(location.search).get("next") || res.body.home;
      if (!/^\/console(\/[\w-]*)?$/.test(next)) next = res.body.home;
      location.assign(next);
    }).catch(function () { error.textContent = t("common.unreachable"); });
  });
})();
