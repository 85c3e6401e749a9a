// bibench-ts leaderboard: progressive enhancement only. Pages work without this file.
// 1. Tables with class "sortable" get clickable column headers.
// 2. Charts (build-time SVG) become interactive with vega-embed, loaded from the site itself:
//    on load where <body data-charts="auto">, on request ("lazy", the light overview page).
(function () {
  "use strict";

  function cellValue(row, index, numeric) {
    const cell = row.children[index];
    if (!cell) return null;
    if (numeric) {
      const v = cell.getAttribute("data-v");
      if (v === null || v === "") return null;
      const x = Number(v);
      return isFinite(x) ? x : null;
    }
    return (cell.textContent || "").trim().toLowerCase();
  }

  function sortTable(table, index, numeric, th) {
    const body = table.tBodies[0];
    if (!body) return;
    let dir = th.getAttribute("aria-sort") === "descending" ? "ascending" : "descending";
    if (!numeric && !th.hasAttribute("aria-sort")) dir = "ascending";
    const heads = table.tHead.rows[0].cells;
    for (let i = 0; i < heads.length; i++) heads[i].removeAttribute("aria-sort");
    th.setAttribute("aria-sort", dir);
    const rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (r, i) {
      r.__i = i;
    });
    rows.sort(function (a, b) {
      const x = cellValue(a, index, numeric), y = cellValue(b, index, numeric);
      if (x === null && y === null) return a.__i - b.__i;
      if (x === null) return 1; // missing values last, either way
      if (y === null) return -1;
      const c = x < y ? -1 : x > y ? 1 : 0;
      return (dir === "ascending" ? c : -c) || a.__i - b.__i;
    });
    rows.forEach(function (r) {
      body.appendChild(r);
    });
  }

  function enhanceTable(table) {
    if (!table.tHead || !table.tHead.rows.length) return;
    const heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, index) {
      const kind = th.getAttribute("data-sort");
      if (!kind) return;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () {
        sortTable(table, index, kind === "num", th);
      });
    });
  }

  const root = document.body.getAttribute("data-root") || "";
  let loading = null;

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      const s = document.createElement("script");
      s.src = root + src;
      s.onload = resolve;
      s.onerror = function () {
        reject(new Error("could not load " + src));
      };
      document.head.appendChild(s);
    });
  }

  function loadVega() {
    if (!loading) {
      loading = loadScript("assets/vega.min.js").then(function () {
        return loadScript("assets/vega-embed.min.js");
      });
    }
    return loading;
  }

  function embed(fig) {
    const specEl = fig.querySelector("script.chart-spec");
    const live = fig.querySelector(".chart-live");
    if (!specEl || !live || !globalThis.vegaEmbed) return Promise.resolve();
    const spec = JSON.parse(specEl.textContent);
    return globalThis.vegaEmbed(live, spec, {
      mode: "vega",
      renderer: "svg",
      actions: false,
      ast: true, // vega's expression interpreter: no eval, so the CSP needs no 'unsafe-eval'
      defaultStyle: false,
      tooltip: { disableDefaultStyle: true },
    }).then(function () {
      live.hidden = false;
      fig.querySelector(".chart-static").hidden = true;
      fig.classList.add("is-live");
    });
  }

  function fail(fig, err) {
    const p = document.createElement("p");
    p.className = "chart-error";
    p.textContent = "Interactive chart unavailable (" + err.message + "); the static chart stays.";
    fig.appendChild(p);
  }

  function enhanceCharts() {
    const figs = Array.prototype.slice.call(document.querySelectorAll("figure.chart"));
    if (!figs.length) return;
    if (document.body.getAttribute("data-charts") === "auto") {
      loadVega().then(function () {
        return Promise.all(figs.map(function (f) {
          return embed(f).catch(function (e) {
            fail(f, e);
          });
        }));
      }, function (e) {
        figs.forEach(function (f) {
          fail(f, e);
        });
      });
      return;
    }
    figs.forEach(function (fig) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "interactive";
      b.textContent = "Make this chart interactive (loads Vega, about 580 KB)";
      b.addEventListener("click", function () {
        b.disabled = true;
        loadVega().then(function () {
          return embed(fig);
        }).then(function () {
          b.remove();
        }, function (e) {
          b.remove();
          fail(fig, e);
        });
      });
      fig.querySelector("figcaption").appendChild(b);
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), enhanceTable);
  enhanceCharts();
})();
