// The dashboard: indices and top movers redrawn from each /ws/market/ snapshot. Text goes in with
// textContent only, never as HTML.
(function () {
  "use strict";
  const S = window.InsightStock;

  function flash(element) {
    element.classList.remove("flash");
    void element.offsetWidth; // restart the animation
    element.classList.add("flash");
  }

  function renderIndex(index) {
    const card = document.querySelector(`.index-card[data-symbol="${CSS.escape(index.symbol)}"]`);
    if (!card) return;
    const value = card.querySelector('[data-field="value"]');
    const change = card.querySelector('[data-field="change"]');
    const text = S.formatTwoDecimals(index.value);
    if (value.textContent !== text) { value.textContent = text; flash(value); }
    change.textContent = `${S.formatTwoDecimals(index.change)} (${index.change_percent}%)`;
    change.className = `change ${S.directionClass(index.change)}`;
  }

  function cell(text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  function renderMovers(key, rows) {
    const body = document.querySelector(`tbody[data-movers="${key}"]`);
    if (!body) return;
    const fresh = rows.map((row) => {
      const tr = document.createElement("tr");
      const name = document.createElement("td");
      const link = document.createElement("a");
      link.href = `/stocks/${encodeURIComponent(row.code)}/`;
      link.textContent = row.name_ko;
      const code = document.createElement("span");
      code.className = "muted";
      code.textContent = ` ${row.code}`;
      name.append(link, code);
      tr.append(
        name,
        cell(S.formatInteger(row.last_price), "num"),
        cell(`${row.change_percent}%`, `num change ${S.directionClass(row.change_percent)}`),
        cell(S.formatInteger(row.volume), "num"),
      );
      return tr;
    });
    body.replaceChildren(...fresh);
  }

  S.connectMarket((snapshot) => {
    (snapshot.indices || []).forEach(renderIndex);
    const movers = snapshot.movers || {};
    ["gainers", "losers", "most_active"].forEach((key) => renderMovers(key, movers[key] || []));
    const asOf = document.getElementById("as-of");
    if (asOf && snapshot.as_of) {
      asOf.dateTime = snapshot.as_of;
      asOf.textContent = S.formatTime(snapshot.as_of);
    }
  });
})();
