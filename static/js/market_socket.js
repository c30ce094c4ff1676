// One /ws/market/ connection per page, reconnecting with exponential back-off (1 s doubling to
// 30 s, with jitter) so a restarted server is not hit by every page at the same instant.
(function () {
  "use strict";
  const labels = {
    ko: { live: "실시간", reconnecting: "재연결 중…", connecting: "연결 중…" },
    en: { live: "live", reconnecting: "reconnecting…", connecting: "connecting…" },
  };
  const lang = document.documentElement.lang === "ko" ? "ko" : "en";

  function connectMarket(onSnapshot) {
    const status = document.getElementById("live-status");
    let delay = 1000;
    function setStatus(text, live) {
      if (!status) return;
      status.textContent = text;
      status.classList.toggle("on", live);
    }
    function open() {
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      const socket = new WebSocket(`${scheme}://${location.host}/ws/market/`);
      socket.addEventListener("open", () => setStatus(labels[lang].live, true));
      socket.addEventListener("message", (event) => {
        // Back-off resets on a message, not on open: a server that accepts and then fails must
        // not be retried every second.
        delay = 1000;
        let message;
        try { message = JSON.parse(event.data); } catch (e) { return; }
        if (message && message.type === "market") onSnapshot(message.data);
      });
      socket.addEventListener("close", () => {
        setStatus(labels[lang].reconnecting, false);
        const wait = delay * (0.5 + Math.random());
        delay = Math.min(delay * 2, 30000);
        setTimeout(open, wait);
      });
    }
    setStatus(labels[lang].connecting, false);
    open();
  }

  const integer = new Intl.NumberFormat("ko-KR", { maximumFractionDigits: 0 });
  const twoDecimals = new Intl.NumberFormat("ko-KR", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  // "sv-SE" writes dates as YYYY-MM-DD HH:MM:SS, the format the server renders.
  const seoulTime = new Intl.DateTimeFormat("sv-SE", {
    timeZone: "Asia/Seoul", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
  });

  window.InsightStock = Object.assign(window.InsightStock || {}, {
    connectMarket,
    formatInteger: (value) => integer.format(Number(value)),
    formatTwoDecimals: (value) => twoDecimals.format(Number(value)),
    directionClass: (value) => (Number(value) > 0 ? "up" : Number(value) < 0 ? "down" : ""),
    // Market times are shown in Seoul time, whatever the reader's own time zone.
    formatTime: (iso) => (iso ? seoulTime.format(new Date(iso)) : ""),
  });
})();
