// «Сводка»: fetches the figures (app/dashboard/figures.py) as JSON and draws the tiles, a chart
// (the vendored Chart.js) and the chart's table for each. Our CSP forbids inline scripts and styles.
(function () {
  "use strict";

  var form = document.getElementById("dashboard-form");
  if (!form) return;
  var charts = {};  // chart key -> Chart.js instance
  var latest = 0;   // the last load asked for: an older answer arriving late is dropped
  var PALETTE = ["#1f6feb", "#e8590c", "#2f9e44", "#ae3ec9", "#f08c00", "#1098ad", "#c2255c", "#5c940d",
                 "#4263eb", "#868e96"];
  // The status badges' colours (static/app.css), in the order of app.models.status.Status.
  var STATUS_COLORS = ["#1e88e5", "#7e57c2", "#fb8c00", "#43a047", "#78909c", "#bdbdbd"];

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function queryString() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) { if (value) params.append(name, value); });
    return params.toString();
  }

  // The first load asks with the page's own address, so a refused value there (a bad date typed into
  // the URL) is explained by the same message the server rendered, not silently replaced.
  function load(initial) {
    var query = initial === true ? window.location.search.replace(/^\?/, "") : queryString(), mine = ++latest;
    if (initial !== true) window.history.replaceState(null, "", form.action + (query ? "?" + query : ""));
    document.getElementById("dashboard-export").href = form.dataset.exportUrl + (query ? "?" + query : "");
    document.getElementById("dashboard-loading").hidden = false;
    fetch(form.dataset.dataUrl + "?" + query, {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(function (response) {
        var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        if (!response.ok || !json) throw new Error(response.redirected ? "signed out" : String(response.status));
        return response.json();
      })
      .then(function (data) { if (mine === latest) render(data); })
      .catch(function (error) {
        showErrors([error.message === "signed out" ? "Сеанс закончился: обновите страницу и войдите снова."
                                                    : "Не удалось получить цифры. Обновите страницу."]);
      })
      .finally(function () { document.getElementById("dashboard-loading").hidden = true; });
  }

  function showErrors(messages) {
    var box = document.getElementById("dashboard-errors");
    box.replaceChildren();
    messages.forEach(function (message) { box.appendChild(element("div", "flash flash-warning", message)); });
  }

  function render(data) {
    showErrors(Object.values(data.errors));
    form.elements.from.value = data.period.from;  // a refused value shows what was shown instead
    form.elements.to.value = data.period.to;
    form.elements.category.value = data.period.category === null ? "" : String(data.period.category);
    markPreset();
    var tiles = document.getElementById("dashboard-tiles");
    tiles.replaceChildren();
    data.tiles.forEach(function (tile) {
      var box = element("div", "tile " + tile.key);
      box.id = "tile-" + tile.key;
      box.appendChild(element("div", "value", tile.text));
      box.appendChild(element("div", "title", tile.title));
      tiles.appendChild(box);
    });
    data.charts.forEach(drawChart);
  }

  function section(spec) {
    var card = document.getElementById("chart-" + spec.key);
    if (card) return card;
    card = element("section", "card chart-card" + (spec.kind === "stacked" ? " wide" : ""));
    card.id = "chart-" + spec.key;
    card.appendChild(element("h2", "", spec.title));
    if (spec.note) card.appendChild(element("p", "muted", spec.note));
    var box = element("div", "chart-box");
    box.appendChild(element("canvas"));
    card.appendChild(box);
    card.appendChild(element("p", "empty", "Нет данных за период."));
    card.appendChild(element("div", "table-box"));
    document.getElementById("dashboard-charts").appendChild(card);
    return card;
  }

  function drawChart(spec) {
    var card = section(spec);
    var empty = spec.labels.length === 0 || spec.series.every(function (s) {
      return s.values.every(function (v) { return !v; });
    });
    card.querySelector(".empty").hidden = !empty;
    card.querySelector(".chart-box").hidden = empty;
    if (charts[spec.key]) charts[spec.key].destroy();
    delete charts[spec.key];
    if (!empty) {
      var box = card.querySelector(".chart-box");
      if (spec.kind === "hbar") box.style.height = Math.max(180, 36 * spec.labels.length + 60) + "px";
      charts[spec.key] = new window.Chart(card.querySelector("canvas"), config(spec));
    }
    fillTable(card.querySelector(".table-box"), spec.table);
  }

  function config(spec) {
    var doughnut = spec.kind === "doughnut";
    var datasets = spec.series.map(function (series, i) {
      var color = PALETTE[i % PALETTE.length];
      return {label: series.name, data: series.values, texts: series.texts,
              backgroundColor: doughnut ? STATUS_COLORS : color, borderColor: doughnut ? "#fff" : color};
    });
    var options = {
      responsive: true, maintainAspectRatio: false, animation: {duration: 300},
      plugins: {
        legend: {display: doughnut || spec.series.length > 1, position: doughnut ? "right" : "top"},
        tooltip: {callbacks: {label: function (item) {
          var texts = item.dataset.texts;
          var value = texts ? texts[item.dataIndex] : item.formattedValue + (spec.unit ? " " + spec.unit : "");
          return (item.dataset.label ? item.dataset.label + ": " : "") + value;
        }}}
      }
    };
    if (!doughnut) {
      var stacked = spec.kind === "stacked";
      var valueAxis = {beginAtZero: true, stacked: stacked, title: {display: !!spec.unit, text: spec.unit}};
      if (spec.top !== null) valueAxis.max = spec.top;
      var labelAxis = {stacked: stacked, ticks: {autoSkip: true, maxRotation: 0}};
      if (spec.kind === "hbar") {
        options.indexAxis = "y";
        options.scales = {x: valueAxis, y: labelAxis};
      } else {
        options.scales = {x: labelAxis, y: valueAxis};
      }
    }
    return {type: doughnut ? "doughnut" : "bar", data: {labels: spec.labels, datasets: datasets}, options: options};
  }

  function fillTable(box, table) {
    box.replaceChildren();
    if (!table.rows.length) return;
    var node = element("table", "data"), head = element("tr");
    table.columns.forEach(function (title, i) { head.appendChild(element("th", i ? "num" : "", title)); });
    node.appendChild(element("thead")).appendChild(head);
    var body = node.appendChild(element("tbody"));
    table.rows.forEach(function (row) {
      var line = body.appendChild(element("tr"));
      row.forEach(function (value, i) { line.appendChild(element("td", i ? "num" : "", value)); });
    });
    box.appendChild(node);
  }

  // Quick periods: the last N days up to the company's today (not the browser's).
  function isoDaysBefore(iso, days) {
    var day = new Date(iso + "T00:00:00Z");
    day.setUTCDate(day.getUTCDate() - days);
    return day.toISOString().slice(0, 10);
  }
  function markPreset() {
    form.querySelectorAll("[data-days]").forEach(function (button) {
      var days = Number(button.dataset.days);
      button.classList.toggle("active", form.elements.to.value === form.dataset.today &&
                              form.elements.from.value === isoDaysBefore(form.dataset.today, days - 1));
    });
  }
  form.addEventListener("click", function (evt) {
    var button = evt.target.closest("[data-days]");
    if (!button) return;
    form.elements.to.value = form.dataset.today;
    form.elements.from.value = isoDaysBefore(form.dataset.today, Number(button.dataset.days) - 1);
    load();
  });
  form.addEventListener("change", function (evt) {
    if (evt.target.matches("select, input[type=date]")) load();
  });
  form.addEventListener("submit", function (evt) {
    evt.preventDefault();
    load();
  });
  document.addEventListener("DOMContentLoaded", function () { load(true); });
})();
