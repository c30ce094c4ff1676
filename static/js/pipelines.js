// Live run events for the pipelines dashboard over /ws/pipelines/, reconnecting with back-off.
(function () {
  "use strict";
  const state = document.getElementById("live-state");
  const runs = document.getElementById("runs");
  let delay = 1000;

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text;  // textContent: event data never becomes markup
    return td;
  }

  function badge(status) {
    const span = document.createElement("span");
    span.className = "badge " + status;
    span.textContent = status;
    return span;
  }

  function showRun(event) {
    let row = runs.querySelector('tr[data-run="' + event.run_id + '"]');
    if (!row) {
      row = document.createElement("tr");
      row.dataset.run = event.run_id;
      runs.prepend(row);
      while (runs.rows.length > 30) runs.deleteRow(-1);
    }
    row.replaceChildren(
      cell(event.run_id), cell(event.job), cell(event.trigger),
      (() => { const td = document.createElement("td"); td.append(badge(event.status)); return td; })(),
      cell(event.progress + "% " + (event.message || "")),
      cell(new Date(event.at).toLocaleTimeString()),
      cell(event.duration_ms === null ? "–" : event.duration_ms),
    );
    const jobRow = document.querySelector('tr[data-job="' + CSS.escape(event.job) + '"] td.status');
    if (jobRow) {
      jobRow.replaceChildren(badge(event.status));
      if (event.status === "running") {
        const progress = document.createElement("span");
        progress.className = "progress";
        progress.textContent = " " + event.progress + "%";
        jobRow.append(progress);
      }
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws/pipelines/");
    socket.onopen = () => { delay = 1000; state.textContent = "● live"; state.className = "live on"; };
    socket.onmessage = (message) => {
      const payload = JSON.parse(message.data);
      if (payload.type === "run") showRun(payload.data);
    };
    socket.onclose = (closed) => {
      state.textContent = "○ reconnecting"; state.className = "live off";
      if (closed.code === 1008) { state.textContent = "○ staff only"; return; }
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
