// Pinnwand: small enhancements on top of htmx; the board works without this file.
(function () {
  "use strict";

  // A file over the limit answers 413 with the form and its message next to the field:
  // swap it like a 422 instead of showing only the generic toast.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var elt = evt.detail.requestConfig && evt.detail.requestConfig.elt;
    if (evt.detail.xhr.status === 413 && elt && elt.closest && elt.closest("[data-swap-errors]")) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
    // A moderation decision on a stale card answers 409 with the card as it is now (and a notice):
    // show that instead of reloading the whole page.
    if (evt.detail.xhr.status === 409 && elt && elt.closest && elt.closest(".modtools")) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });
  // After posting, the composer closes and the new post, reloaded on top of the list by the
  // "post-created" event, takes the focus (portal.js focuses [data-focus-after-swap]).
  var createdPost = null;
  document.addEventListener("post-created", function (evt) {
    createdPost = evt.detail && evt.detail.value;
    var composer = document.querySelector("details.composer");
    if (composer) { composer.open = false; }
  });
  document.addEventListener("htmx:afterSwap", function () {
    if (!createdPost) { return; }
    var post = document.getElementById("post-" + createdPost);
    if (post) {
      createdPost = null;
      post.setAttribute("data-focus-after-swap", "");
      post.scrollIntoView({block: "start"});
    }
  });

  // The "neue Beiträge" poll (#new-posts, "every 30s, visibilitychange from:document") asks nothing
  // while the tab is hidden; when it is shown again the visibilitychange trigger checks at once.
  // Done here because the CSP keeps htmx's eval-based trigger filters ([...]) switched off.
  document.addEventListener("htmx:beforeRequest", function (evt) {
    if (document.hidden && evt.detail.elt && evt.detail.elt.id === "new-posts") { evt.preventDefault(); }
  });

  // Tell about too large or too many files before uploading megabytes over a phone connection.
  document.addEventListener("change", function (evt) {
    var input = evt.target;
    if (!input.matches || !input.matches("input[type=file][data-max-bytes]")) { return; }
    var max = parseInt(input.getAttribute("data-max-bytes"), 10);
    var problems = [];
    Array.prototype.forEach.call(input.files, function (file) {
      if (file.size > max) {
        problems.push("„" + file.name + "“ ist " + (file.size / 1048576).toFixed(1).replace(".", ",") +
          " MB groß; erlaubt sind höchstens " + Math.round(max / 1048576) + " MB.");
      }
    });
    if (input.files.length > 3) { problems.push("Höchstens 3 Anhänge pro Beitrag."); }
    input.setCustomValidity(problems.join(" "));
    if (problems.length) { input.reportValidity(); }
  });
})();
