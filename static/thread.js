// The conversation on the request page: resident messages its poll brings are marked read only
// once a person can see them (the page visible and focused), never by a poll in a background tab,
// so the journal's badge, filter and news keep them until then. Opening the page marks the ones
// it shows on the server.
(function () {
  "use strict";

  var sent = 0;  // the newest message this page has asked to mark

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch (e) { return ""; }
  }

  function markRead() {
    var thread = document.getElementById("thread");
    var upto = thread ? Number(thread.dataset.unread) : 0;
    if (!upto || upto <= sent || document.visibilityState !== "visible" || !document.hasFocus()) return;
    sent = upto;
    var body = new URLSearchParams({upto: String(upto)});
    fetch(thread.dataset.readUrl, {method: "POST", body: body, credentials: "same-origin",
                                   headers: {"X-CSRFToken": csrfToken()}})
      .then(function (response) { if (!response.ok) sent = 0; })
      .catch(function () { sent = 0; });  // the next look tries again
  }

  document.addEventListener("visibilitychange", markRead);
  window.addEventListener("focus", markRead);
  document.addEventListener("htmx:afterSettle", markRead);  // a poll may have brought new ones
})();
