// Journal and request page behaviour (our CSP forbids inline scripts).
(function () {
  "use strict";

  // A click anywhere on a journal row opens the request (links and selections keep working).
  document.addEventListener("click", function (evt) {
    var row = evt.target.closest("#journal-body tr[data-href]");
    if (!row || evt.target.closest("a, button, input, select, label")) return;
    if (window.getSelection && String(window.getSelection())) return;  // the user is selecting text
    if (evt.ctrlKey || evt.metaKey) {
      window.open(row.dataset.href, "_blank");
    } else {
      window.location.href = row.dataset.href;
    }
  });

  // The column menu keeps the current filters: send the query string the page shows now.
  document.addEventListener("submit", function (evt) {
    if (evt.target.id !== "columns-form") return;
    evt.target.elements.query.value = window.location.search.replace(/^\?/, "");
  });

  // Enter in a search-as-you-type box must not submit the surrounding form.
  document.addEventListener("keydown", function (evt) {
    if (evt.key === "Enter" && evt.target.matches("[data-no-submit]")) evt.preventDefault();
  });

  // Close buttons of the export box; Escape closes an open menu.
  document.addEventListener("click", function (evt) {
    var button = evt.target.closest("[data-dismiss]");
    if (button) {
      var box = document.getElementById(button.dataset.dismiss);
      if (box) box.replaceChildren();
      if (box) box.className = "";
    }
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(evt.target)) menu.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", function (evt) {
    if (evt.key === "Escape") {
      document.querySelectorAll("details.menu[open]").forEach(function (menu) { menu.removeAttribute("open"); });
    }
  });

  // A finished export downloads itself once; the link stays for another try.
  function autoDownload(root) {
    var link = root.matches && root.matches("[data-autodownload]") ? root
      : root.querySelector && root.querySelector("[data-autodownload]");
    if (link && !link.dataset.started) {
      link.dataset.started = "1";
      link.click();
    }
  }
  document.addEventListener("htmx:load", function (evt) { autoDownload(evt.detail.elt); });

  // A photo for the resident: too big for Telegram is said at once, before the form is sent
  // (and loses the typed text on the server's size limit).
  function photoTooBig(input) {
    var file = input.files && input.files[0];
    var max = Number(input.dataset.maxBytes);
    return file && max && file.size > max ? max : 0;
  }
  document.addEventListener("change", function (evt) {
    if (!evt.target.matches("input[type=file][data-max-bytes]")) return;
    var error = document.getElementById("photo-error");
    var max = photoTooBig(evt.target);
    if (error) error.textContent = max ? "Фото больше " + Math.round(max / 1048576) + " МБ: выберите другое или уменьшите его." : "";
  });
  document.addEventListener("submit", function (evt) {
    var input = evt.target.querySelector && evt.target.querySelector("input[type=file][data-max-bytes]");
    if (input && photoTooBig(input)) evt.preventDefault();
  });

  // The conversation opens at its newest message; its poll keeps the reader where they are
  // (at the end: at the new end).
  var threadScroll = null;
  document.addEventListener("DOMContentLoaded", function () {
    var thread = document.getElementById("thread");
    if (thread) thread.scrollTop = thread.scrollHeight;
  });
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var thread = evt.detail.target;
    if (thread.id !== "thread") return;
    threadScroll = {top: thread.scrollTop, atEnd: thread.scrollTop + thread.clientHeight >= thread.scrollHeight - 4};
  });
  document.addEventListener("htmx:afterSettle", function () {
    var thread = document.getElementById("thread");
    if (!thread || !threadScroll) return;
    thread.scrollTop = threadScroll.atEnd ? thread.scrollHeight : threadScroll.top;
    threadScroll = null;
  });
})();
