// Passkeys (WebAuthn): add one on the two-step sign-in page, sign in with one on the code page.
// Buttons: [data-passkey-register] (with data-options and data-url) and [data-passkey-sign-in].
(function () {
  "use strict";

  function csrfToken() {
    var input = document.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken()},
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          throw new Error((data.error && data.error.message) || response.statusText);
        }
        return data;
      });
    });
  }

  function say(button, message) {
    var status = document.getElementById(button.getAttribute("aria-describedby") || "");
    if (status) { status.textContent = message; }
  }

  var supported = window.PublicKeyCredential && PublicKeyCredential.parseCreationOptionsFromJSON &&
    PublicKeyCredential.parseRequestOptionsFromJSON;

  document.querySelectorAll("[data-passkey-register], [data-passkey-sign-in]").forEach(function (button) {
    var box = button.closest("[data-passkey]");
    if (!supported) { if (box) { box.hidden = true; } return; }
    if (box) { box.hidden = false; }
    button.addEventListener("click", function () {
      button.disabled = true;
      say(button, "");
      var register = button.hasAttribute("data-passkey-register");
      var nameInput = document.getElementById("passkey-name");
      post(button.dataset.options).then(function (options) {
        return register
          ? navigator.credentials.create({publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options)})
          : navigator.credentials.get({publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options)});
      }).then(function (credential) {
        var body = {credential: credential.toJSON()};
        if (register && nameInput) { body.name = nameInput.value; }
        return post(button.dataset.url, body);
      }).then(function (done) {
        window.location.assign(done.redirect);
      }).catch(function (error) {
        button.disabled = false;
        say(button, button.dataset.failed + " " + (error && error.message ? error.message : ""));
      });
    });
  });
})();
