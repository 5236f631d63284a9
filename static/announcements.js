// The compose page: characters left under Telegram's limit, and the preview as the resident will see it.
// (Our CSP forbids inline scripts; the server checks the same limits again.)
(function () {
  "use strict";
  var chosenPhoto = null;  // a data: URL of the photo picked in the file input, not uploaded yet

  function form() { return document.getElementById("compose-form"); }

  function currentPhoto() {
    var current = document.getElementById("current-photo");
    var remove = form().querySelector("input[name=remove_photo]");
    if (chosenPhoto) return chosenPhoto;
    return current && !(remove && remove.checked) ? current.getAttribute("src") : null;
  }

  function update() {
    var f = form();
    if (!f) return;
    var text = f.querySelector("textarea[name=text]");
    var photo = currentPhoto();
    var limit = Number(photo ? f.dataset.captionMax : f.dataset.textMax);
    var length = text.value.trim().length;
    var counter = document.getElementById("text-count");
    counter.textContent = length + " из " + limit + " символов" + (photo ? " (подпись к фото)" : "");
    counter.classList.toggle("over", length > limit);
    document.getElementById("preview-text").textContent = text.value.trim();
    var img = document.getElementById("preview-photo");
    img.hidden = !photo;
    if (photo) img.src = photo; else img.removeAttribute("src");
  }

  document.addEventListener("input", function (evt) {
    if (evt.target.name === "text") update();
  });
  document.addEventListener("change", function (evt) {
    if (evt.target.name === "remove_photo") update();
    if (evt.target.name !== "photo") return;
    var file = evt.target.files && evt.target.files[0];
    chosenPhoto = null;
    if (!file || !/^image\/(jpeg|png)$/.test(file.type)) { update(); return; }
    var reader = new FileReader();
    reader.onload = function () { chosenPhoto = reader.result; update(); };
    reader.readAsDataURL(file);
  });
  document.addEventListener("htmx:afterSettle", update);  // «Заполнить текст» replaced the text
  document.addEventListener("DOMContentLoaded", update);
})();
