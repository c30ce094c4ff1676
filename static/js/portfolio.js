// Portfolio pages: the summary follows the market (each new market snapshot refetches the
// cached summary API), and a portfolio's value over time is drawn from the history API, which a
// worker rebuilds after each change (the page polls briefly while it is being rebuilt).
(function () {
  "use strict";
  const S = window.InsightStock;
  const cards = document.querySelector("[data-summary-url]");
  const lang = document.documentElement.lang === "ko" ? "ko" : "en";
  const text = {
    ko: { building: "그래프를 계산하는 중입니다…", empty: "아직 그릴 기록이 없습니다.", failed: "그래프를 불러오지 못했습니다." },
    en: { building: "The chart is being computed…", empty: "Nothing to chart yet.", failed: "The chart could not be loaded." },
  }[lang];

  function setMoney(element, value) {
    if (!element || value === null || value === undefined) return;
    element.textContent = S.formatInteger(value);
    if (element.classList.contains("change")) {
      element.classList.remove("up", "down");
      const direction = S.directionClass(value);
      if (direction) element.classList.add(direction);
    }
  }

  function setPercent(element, value) {
    if (element) element.textContent = value === null || value === undefined ? "" : `${value}%`;
  }

  function render(summary) {
    for (const name of ["market_value", "day_change", "unrealised_pl", "cost_basis", "total_return"]) {
      setMoney(cards.querySelector(`[data-field="${name}"]`), summary[name]);
    }
    setPercent(cards.querySelector('[data-field="day_change_percent"]'), summary.day_change_percent);
    setPercent(cards.querySelector('[data-field="unrealised_pl_percent"]'), summary.unrealised_pl_percent);
    const pricedAt = document.querySelector('[data-field="priced_at"]');
    if (pricedAt && summary.priced_at) pricedAt.textContent = S.formatTime(summary.priced_at);
    for (const holding of summary.holdings || []) {
      const row = document.querySelector(`tr[data-code="${holding.stock.code}"]`);
      if (!row) continue;
      for (const name of ["last_price", "market_value", "unrealised_pl", "day_change"]) {
        setMoney(row.querySelector(`[data-field="${name}"]`), holding[name]);
      }
      setPercent(row.querySelector('[data-field="weight"]'), holding.weight);
    }
  }

  if (cards) {
    let lastAsOf = null;
    S.connectMarket(async (snapshot) => {
      if (snapshot.as_of === lastAsOf) return;
      const first = lastAsOf === null;
      lastAsOf = snapshot.as_of;
      if (first) return; // the page was rendered with these prices
      try {
        const response = await fetch(cards.dataset.summaryUrl, { headers: { Accept: "application/json" } });
        if (response.ok) render(await response.json());
      } catch (error) { /* the next snapshot tries again */ }
    });
  }

  const container = document.getElementById("value-chart");
  if (!container || !window.LightweightCharts) return;
  const message = document.getElementById("value-chart-message");
  const chart = LightweightCharts.createChart(container, {
    height: 300,
    layout: { background: { color: "#ffffff" }, textColor: "#1c2330" },
    grid: { vertLines: { color: "#eef1f6" }, horzLines: { color: "#eef1f6" } },
    rightPriceScale: { borderColor: "#e2e6ee" },
    timeScale: { borderColor: "#e2e6ee" },
    autoSize: true,
  });
  const value = chart.addAreaSeries({ lineColor: "#1558d6", topColor: "rgba(21,88,214,0.25)", bottomColor: "rgba(21,88,214,0.02)", priceFormat: { type: "price", precision: 0, minMove: 1 } });
  const cost = chart.addLineSeries({ color: "#8a93a5", lineWidth: 1, lineStyle: 2, priceFormat: { type: "price", precision: 0, minMove: 1 } });

  let attempts = 0;
  async function load() {
    try {
      const response = await fetch(container.dataset.historyUrl, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(String(response.status));
      const history = await response.json();
      const points = history.points || [];
      value.setData(points.map((p) => ({ time: p.day, value: Number(p.market_value) })));
      cost.setData(points.map((p) => ({ time: p.day, value: Number(p.cost_basis) })));
      chart.timeScale().fitContent();
      container.dataset.points = String(points.length);
      if (history.is_stale && attempts < 20) {
        attempts += 1;
        message.textContent = text.building;
        setTimeout(load, 3000);
      } else {
        message.textContent = points.length ? "" : text.empty;
      }
    } catch (error) {
      message.textContent = text.failed;
    }
  }
  load();
})();
