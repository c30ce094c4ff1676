// A stock's page: a candlestick chart of the chosen period, and the last price kept live. Each
// market snapshot says when prices last moved (`as_of`); only then is the (cached) detail API
// asked for this stock's new price, so idle pages cost nothing.
(function () {
  "use strict";
  const S = window.InsightStock;
  const quote = document.getElementById("quote");
  const container = document.getElementById("price-chart");
  const message = document.getElementById("chart-message");
  const SEOUL_OFFSET_SECONDS = 9 * 3600; // the chart's axis shows UTC; bars are in KST

  const chart = LightweightCharts.createChart(container, {
    height: 380,
    layout: { background: { color: "#ffffff" }, textColor: "#1c2330" },
    grid: { vertLines: { color: "#eef1f6" }, horzLines: { color: "#eef1f6" } },
    rightPriceScale: { borderColor: "#e2e6ee" },
    timeScale: { borderColor: "#e2e6ee", timeVisible: true, secondsVisible: false },
    autoSize: true,
  });
  // Korean convention: rising red, falling blue.
  const candles = chart.addCandlestickSeries({
    priceFormat: { type: "price", precision: 0, minMove: 1 },
    upColor: "#d60000", borderUpColor: "#d60000", wickUpColor: "#d60000",
    downColor: "#0050d6", borderDownColor: "#0050d6", wickDownColor: "#0050d6",
  });
  const volume = chart.addHistogramSeries({ priceScaleId: "", priceFormat: { type: "volume" }, color: "#c5cbd6" });
  volume.priceScale().applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });

  function barTime(bar, intraday) {
    const seconds = Math.floor(new Date(bar.starts_at).getTime() / 1000) + SEOUL_OFFSET_SECONDS;
    if (intraday) return seconds;
    const d = new Date(seconds * 1000);
    return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
  }

  let currentPeriod = container.dataset.period;
  async function loadPrices(period) {
    currentPeriod = period;
    const url = `${container.dataset.pricesUrl}?period=${encodeURIComponent(period)}`;
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const body = await response.json();
      if (period !== currentPeriod) return; // a newer choice is loading
      const intraday = body.interval !== "1d";
      candles.setData(body.bars.map((bar) => ({
        time: barTime(bar, intraday), open: Number(bar.open), high: Number(bar.high),
        low: Number(bar.low), close: Number(bar.close),
      })));
      volume.setData(body.bars.map((bar) => ({
        time: barTime(bar, intraday), value: Number(bar.volume),
        color: Number(bar.close) >= Number(bar.open) ? "rgba(214,0,0,.35)" : "rgba(0,80,214,.35)",
      })));
      chart.timeScale().fitContent();
      container.dataset.bars = String(body.bars.length);
      message.textContent = body.bars.length ? "" : (document.documentElement.lang === "ko" ? "가격 데이터가 없습니다." : "No price data yet.");
    } catch (error) {
      message.textContent = document.documentElement.lang === "ko" ? "차트를 불러오지 못했습니다." : "The chart could not be loaded.";
    }
  }

  document.querySelectorAll("button.period").forEach((button) => {
    button.addEventListener("click", () => {
      document.querySelectorAll("button.period").forEach((b) => {
        b.classList.toggle("active", b === button);
        b.setAttribute("aria-pressed", String(b === button));
      });
      loadPrices(button.dataset.period);
    });
  });
  loadPrices(currentPeriod);

  let lastAsOf = null;
  async function refreshQuote() {
    // live=1: a price refresh, not another view of the stock (views rank the hottest stocks).
    const response = await fetch(`${quote.dataset.detailUrl}?live=1`, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const stock = await response.json();
    const price = document.getElementById("last-price");
    const text = S.formatInteger(stock.last_price);
    if (price.textContent !== text) {
      price.textContent = text;
      price.classList.remove("flash"); void price.offsetWidth; price.classList.add("flash");
    }
    const change = document.getElementById("price-change");
    change.textContent = `${S.formatInteger(stock.change)} (${stock.change_percent}%)`;
    change.className = `change ${S.directionClass(stock.change)}`;
    document.getElementById("previous-close").textContent = S.formatInteger(stock.previous_close);
    document.getElementById("volume").textContent = S.formatInteger(stock.volume);
    document.getElementById("market-cap").textContent = S.formatInteger(stock.market_cap);
    const updated = document.getElementById("updated-at");
    updated.dateTime = stock.updated_at || "";
    updated.textContent = S.formatTime(stock.updated_at);
    if (currentPeriod === "1d") loadPrices("1d");
  }

  S.connectMarket((snapshot) => {
    if (lastAsOf !== null && snapshot.as_of !== lastAsOf) {
      // Spread over two seconds: every open page learns of new prices at the same instant.
      setTimeout(() => refreshQuote().catch(() => {}), Math.random() * 2000);
    }
    lastAsOf = snapshot.as_of;
  });
})();
