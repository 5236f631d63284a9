// Small behaviours shared by every page. Inline scripts are forbidden by our CSP.
document.addEventListener("htmx:responseError", function (evt) {
  var target = document.getElementById("htmx-error");
  if (!target) {
    target = document.createElement("div");
    target.id = "htmx-error";
    target.className = "flash flash-danger floating";
    document.body.appendChild(target);
  }
  target.textContent = "Не удалось выполнить запрос (" + evt.detail.xhr.status + "). Обновите страницу.";
  setTimeout(function () { target.remove(); }, 6000);
});
