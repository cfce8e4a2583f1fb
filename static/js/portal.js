// Trägerportal: small enhancements on top of htmx. Everything works without this file.
(function () {
  "use strict";

  var MESSAGES = {
    0: "Keine Verbindung zum Portal. Bitte prüfe dein Netz und versuche es noch einmal.",
    400: "Die Anfrage war ungültig. Bitte lade die Seite neu.",
    401: "Bitte melde dich erneut an.",
    403: "Dafür fehlt dir die Berechtigung.",
    404: "Dieser Eintrag existiert nicht mehr.",
    409: "Inzwischen hat jemand anderes diesen Eintrag geändert. Die Seite zeigt gleich den aktuellen Stand.",
    413: "Die Datei ist zu groß.",
    429: "Zu viele Versuche. Bitte warte einen Moment.",
    500: "Im Portal ist ein Fehler aufgetreten. Bitte versuche es später noch einmal."
  };

  function toast(text) {
    var el = document.getElementById("toast");
    if (!el) { return; }
    el.textContent = text;
    el.hidden = false;
    clearTimeout(el._timer);
    el._timer = setTimeout(function () { el.hidden = true; }, 8000);
  }

  function announce(text) {
    var el = document.getElementById("announcer");
    if (el) { el.textContent = ""; setTimeout(function () { el.textContent = text; }, 50); }
  }

  document.addEventListener("htmx:responseError", function (evt) {
    var status = evt.detail.xhr.status;
    toast(MESSAGES[status] || MESSAGES[500]);
    // A conflict means our view is stale: show the current state.
    if (status === 409) { setTimeout(function () { window.location.reload(); }, 1500); }
  });
  document.addEventListener("htmx:sendError", function () { toast(MESSAGES[0]); });

  // Servers announce results of htmx actions with an HX-Trigger "announce" event.
  document.addEventListener("announce", function (evt) {
    if (evt.detail && evt.detail.value) { announce(evt.detail.value); }
  });

  // After a 422 (or 413) swap, move focus to the error summary (else the first invalid field) so
  // screen readers hear the error and the next Tab stays in the form. With hx-swap="outerHTML" the
  // event's target is the element that was just removed: look up its replacement by id.
  function swappedRegion(target) {
    if (target && target.isConnected) { return target; }
    return (target && target.id && document.getElementById(target.id)) || document;
  }
  document.addEventListener("htmx:afterSwap", function (evt) {
    var status = evt.detail.xhr && evt.detail.xhr.status;
    if (status !== 422 && status !== 413) { return; }
    var region = swappedRegion(evt.detail.target);
    var summary = region.querySelector("#form-errors, .alert--error[tabindex]");
    var bad = summary || region.querySelector("[aria-invalid=true], .field--invalid input, .field--invalid textarea, .field--invalid select");
    if (bad) { bad.focus(); }
  });

  // An htmx answer may name an element to focus next ([data-focus-after-swap]: the first post of
  // "Mehr laden", a new post, a confirmation); it takes the focus once.
  document.addEventListener("htmx:afterSettle", function () {
    var next = document.querySelector("[data-focus-after-swap]");
    if (next) {
      next.removeAttribute("data-focus-after-swap");
      if (!next.hasAttribute("tabindex")) { next.setAttribute("tabindex", "-1"); }
      next.focus();
    }
  });

  // "Adresse kopieren": buttons with data-copy="<id of a field>" copy its value (hidden without JS).
  function showCopyButtons(root) {
    var buttons = (root || document).querySelectorAll("[data-copy][hidden]");
    for (var i = 0; i < buttons.length; i++) { buttons[i].hidden = false; }
  }
  document.addEventListener("DOMContentLoaded", function () { showCopyButtons(document); });
  document.addEventListener("htmx:load", function (evt) { showCopyButtons(evt.target); });
  document.addEventListener("click", function (evt) {
    var button = evt.target.closest ? evt.target.closest("[data-copy]") : null;
    if (!button) { return; }
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) { return; }
    function done() { announce("Adresse kopiert."); button.textContent = "Kopiert"; }
    function fallback() {
      field.focus();
      field.select();
      try {
        if (document.execCommand("copy")) { done(); return; }
      } catch (e) { /* older browsers: the selection stays for Strg+C */ }
      announce("Die Adresse ist markiert. Bitte mit Strg+C (am Handy: Kopieren) kopieren.");
    }
    // the Clipboard API needs HTTPS; an intranet on plain HTTP gets the selection and execCommand
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, fallback);
    } else {
      fallback();
    }
  });

  // "Drucken" buttons of print views ([data-print], hidden until this script shows them).
  document.querySelectorAll("[data-print]").forEach(function (button) { button.hidden = false; });
  document.addEventListener("click", function (evt) {
    if (evt.target.closest && evt.target.closest("[data-print]")) { window.print(); }
  });

  // Select-all on read-only copy fields (invitation links) for easy copying on phones.
  document.addEventListener("focusin", function (evt) {
    if (evt.target.classList && evt.target.classList.contains("copyfield")) { evt.target.select(); }
  });
})();
