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

  // «Объединить в аварию»: the ticked rows are kept in this tab's sessionStorage, so the ticks survive
  // the pages and filters htmx swaps in; the form posts them all as hidden inputs (the server checks each).
  var PICKED = "journal-picked";

  function picked() {
    try {
      var ids = JSON.parse(window.sessionStorage.getItem(PICKED) || "[]");
      return Array.isArray(ids) ? ids.filter(function (id) { return /^\d{1,18}$/.test(id); }) : [];
    } catch (e) {
      return [];
    }
  }

  function savePicked(ids) {
    try {
      window.sessionStorage.setItem(PICKED, JSON.stringify(ids));
    } catch (e) { /* storage full or off: the ticks of the page shown still go */ }
  }

  function showPicked() {
    var button = document.getElementById("merge-button");
    if (!button) return;
    var ids = picked();
    document.querySelectorAll("#journal-body input.pick").forEach(function (box) {
      box.checked = ids.indexOf(box.value) !== -1;
    });
    var n = ids.length;
    button.disabled = n === 0;
    document.getElementById("picked-count").textContent = n ? " (" + n + ")" : "";
    document.getElementById("picked-total").textContent = String(n);
    document.getElementById("picked-summary").hidden = n === 0;
  }

  document.addEventListener("change", function (evt) {
    if (!evt.target.matches("#journal-body input.pick")) return;
    var ids = picked().filter(function (id) { return id !== evt.target.value; });
    if (evt.target.checked) ids.push(evt.target.value);
    savePicked(ids);
    showPicked();
  });
  document.addEventListener("click", function (evt) {
    if (evt.target.id !== "unpick") return;
    savePicked([]);
    showPicked();
  });
  document.addEventListener("submit", function (evt) {
    if (evt.target.id !== "incident-pick") return;
    var form = evt.target;
    form.querySelectorAll("input.picked").forEach(function (input) { input.remove(); });
    var shown = Array.prototype.map.call(document.querySelectorAll("#journal-body input.pick:checked"),
                                         function (box) { return box.value; });
    picked().forEach(function (id) {
      if (shown.indexOf(id) !== -1) return;  // a ticked row of this page goes by itself (form="incident-pick")
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "request";
      input.value = id;
      input.className = "picked";
      form.appendChild(input);
    });
    savePicked([]);  // handed over to the new incident's page
  });
  document.addEventListener("htmx:afterSwap", showPicked);
  document.addEventListener("DOMContentLoaded", showPicked);
  window.addEventListener("pageshow", showPicked);  // back to the journal from the new incident's page

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

// Emergency requests announced by the news poll (_news.html): once each, as a desktop notification
// and a sound if this browser's user opted in (the choice is kept in this browser).
(function () {
  "use strict";

  var DESKTOP = "zhkh.notify.desktop", SOUND = "zhkh.notify.sound", SEEN = "zhkh.announced";
  var audio = null;

  function stored(key) {
    try { return window.localStorage.getItem(key) === "1"; } catch (e) { return false; }
  }
  function store(key, on) {
    try { window.localStorage.setItem(key, on ? "1" : "0"); } catch (e) { /* private mode: this page only */ }
  }
  function say(text) {
    var state = document.getElementById("notify-state");
    if (state) state.textContent = text;
  }
  function canNotify() {
    return "Notification" in window && window.isSecureContext;
  }

  function beep() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    audio = audio || new Context();
    if (audio.state === "suspended") audio.resume();
    var start = audio.currentTime;
    [0, 0.35].forEach(function (offset) {  // two short high tones
      var tone = audio.createOscillator(), gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.3, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.3);
      tone.connect(gain);
      gain.connect(audio.destination);
      tone.start(start + offset);
      tone.stop(start + offset + 0.32);
    });
  }

  function seen() {
    try { return JSON.parse(window.sessionStorage.getItem(SEEN) || "[]"); } catch (e) { return []; }
  }

  function announce(root) {
    var done = seen(), fresh = [];
    root.querySelectorAll("[data-emergency]").forEach(function (link) {
      if (done.indexOf(link.dataset.emergency) === -1) fresh.push(link);
    });
    if (!fresh.length) return;
    fresh.forEach(function (link) {
      done.push(link.dataset.emergency);
      if (stored(DESKTOP) && canNotify() && Notification.permission === "granted") {
        var note = new Notification(link.dataset.title, {body: link.dataset.body, tag: "request-" + link.dataset.emergency});
        note.onclick = function () { window.focus(); window.location.href = link.href; };
      }
    });
    try { window.sessionStorage.setItem(SEEN, JSON.stringify(done.slice(-200))); } catch (e) { /* ignore */ }
    if (stored(SOUND)) beep();
  }

  document.addEventListener("htmx:afterSwap", function (evt) {
    if (evt.detail.target && evt.detail.target.id === "journal-news") announce(evt.detail.target);
  });

  document.addEventListener("change", function (evt) {
    if (evt.target.id === "notify-desktop") {
      var box = evt.target;
      if (!box.checked) { store(DESKTOP, false); say(""); return; }
      if (!("Notification" in window)) {
        box.checked = false;
        say("Этот браузер не умеет показывать уведомления.");
      } else if (!window.isSecureContext) {
        box.checked = false;
        say("Уведомления браузер разрешает только сайтам по HTTPS: попросите администратора включить его.");
      } else {
        Notification.requestPermission().then(function (permission) {
          box.checked = permission === "granted";
          store(DESKTOP, box.checked);
          say(box.checked ? "Уведомления включены." : "Браузер запретил уведомления: разрешите их в настройках сайта.");
        });
      }
    } else if (evt.target.id === "notify-sound") {
      store(SOUND, evt.target.checked);
      if (evt.target.checked) beep();  // a sample, and the click lets the page play sound later
    }
  });

  // Browsers let a page play sound only after the user has touched it: wake the sound on the first touch.
  function wake() {
    if (stored(SOUND) && !audio) {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (Context) audio = new Context();
    }
  }
  document.addEventListener("pointerdown", wake, {once: true});
  document.addEventListener("keydown", wake, {once: true});

  document.addEventListener("DOMContentLoaded", function () {
    var desktop = document.getElementById("notify-desktop"), sound = document.getElementById("notify-sound");
    if (!desktop) return;
    desktop.checked = stored(DESKTOP) && canNotify() && Notification.permission === "granted";
    sound.checked = stored(SOUND);
  });
})();

// Deadlines on an open journal: the late / due-soon colours and «Просрочка» of the rows with a
// pending deadline (data-due) move on with time, every 30 seconds, without redrawing the table.
// The time is the server's when it drew the rows (data-now) plus what has passed since, so a
// computer's wrong clock does not matter. The wording is the server's (app.services.durations.text,
// deadlines.lateness_text; tests/browser/test_deadlines.py keeps the two equal).
(function () {
  "use strict";

  var REFRESH_MS = 30000;

  function durationText(minutes) {
    minutes = Math.max(0, Math.floor(minutes));
    if (minutes < 60) return minutes + " мин";
    if (minutes < 1440) return Math.floor(minutes / 60) + " ч" + (minutes % 60 ? " " + minutes % 60 + " мин" : "");
    var rest = minutes % 1440;
    return Math.floor(minutes / 1440) + " д" + (rest >= 60 ? " " + Math.floor(rest / 60) + " ч" : "");
  }

  function latenessText(seconds) {
    if (seconds > 0) return durationText(Math.ceil(seconds / 60));
    return "осталось " + (seconds <= -60 ? durationText(Math.floor(-seconds / 60)) : "меньше минуты");
  }
  window.journalLatenessText = latenessText;  // for the test that holds it to the server's wording

  function refresh() {
    var body = document.getElementById("journal-body");
    if (!body || !body.dataset.now) return;
    if (!body.dataset.seenAt) body.dataset.seenAt = String(Date.now());  // drawn just now
    var now = Number(body.dataset.now) + Date.now() - Number(body.dataset.seenAt);
    var soon = Number(body.dataset.soon) * 1000;
    body.querySelectorAll("tr[data-due]").forEach(function (row) {
      var due = Number(row.dataset.due);
      row.classList.toggle("late", due < now);
      row.classList.toggle("soon", due >= now && due < now + soon);
      var cell = row.querySelector("td.c-lateness");
      if (!cell) return;
      var seconds = Math.floor((now - due) / 1000);
      cell.textContent = latenessText(seconds);
      cell.classList.toggle("late", seconds > 0);
    });
  }

  document.addEventListener("DOMContentLoaded", refresh);
  document.addEventListener("htmx:afterSettle", refresh);  // new rows: note when they were drawn
  window.setInterval(refresh, REFRESH_MS);
})();
