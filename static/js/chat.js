// The chat page: one /ws/chat/ socket for every room (live messages, joins, reads), the API for
// history (cursor pages), search, joining and creating rooms. Every piece of user text is set
// with textContent, never as HTML; search snippets come HTML-escaped from the server with only
// <mark> added.
//
// The socket reconnects with exponential back-off (1 s doubling to 30 s, with jitter) and gives
// up after MAX_ATTEMPTS in a row, showing a button to try again (H12). It does not reconnect
// after a close that another try cannot fix: signed out (1008) or replaced by newer tabs
// (1008 "Too many connections"), which would otherwise push each other out for ever.
(function () {
  "use strict";
  const root = document.getElementById("chat");
  if (!root) return;

  const MAX_ATTEMPTS = 8;
  const FIRST_DELAY_MS = 1000;
  const MAX_DELAY_MS = 30000;
  const lang = document.documentElement.lang === "ko" ? "ko" : "en";
  const T = {
    ko: {
      connecting: "연결 중…", live: "실시간", reconnecting: (s) => `재연결 중… (${s}초 후)`,
      offline: "연결 끊김", replaced: "다른 창에서 열려 이 창의 연결을 닫았습니다.",
      signedOut: "로그인이 필요합니다.", deleted: "(삭제된 메시지)", reply: "답장",
      edit: "수정", remove: "삭제", confirmDelete: "이 메시지를 삭제할까요?",
      edited: "수정됨", joined: (u) => `${u}님이 들어왔습니다.`, left: (u) => `${u}님이 나갔습니다.`,
      noResults: "찾은 메시지가 없습니다.", failed: "요청을 처리하지 못했습니다. 다시 시도해 주세요.",
      unreadTitle: "읽지 않은 사람 수", editPrompt: "메시지 수정", uploading: "이미지를 올리는 중…",
    },
    en: {
      connecting: "connecting…", live: "live", reconnecting: (s) => `reconnecting… (in ${s} s)`,
      offline: "disconnected", replaced: "Opened in another window; this one was closed.",
      signedOut: "Please sign in again.", deleted: "(message deleted)", reply: "Reply",
      edit: "Edit", remove: "Delete", confirmDelete: "Delete this message?",
      edited: "edited", joined: (u) => `${u} joined.`, left: (u) => `${u} left.`,
      noResults: "No messages found.", failed: "That could not be done; please try again.",
      unreadTitle: "members yet to read it", editPrompt: "Edit message", uploading: "Uploading the image…",
    },
  }[lang];

  const userId = Number(root.dataset.userId);
  const api = root.dataset.api;
  const csrf = root.dataset.csrf;
  let roomId = root.dataset.roomId ? Number(root.dataset.roomId) : null;
  let isMember = root.dataset.isMember === "true";
  const list = document.getElementById("chat-messages");
  const statusEl = document.getElementById("chat-status");
  const reconnectButton = document.getElementById("chat-reconnect");
  const olderButton = document.getElementById("load-older");
  const composer = document.getElementById("chat-composer");
  const input = document.getElementById("chat-input");
  const errorEl = document.getElementById("chat-error");
  const replying = document.getElementById("replying");
  const messages = new Map(); // id -> message, for the room on screen
  let olderUrl = null;
  let replyTo = null;
  let socket = null;
  let welcomed = false;

  // --- API -------------------------------------------------------------------------------

  async function call(method, url, body) {
    const response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) {
      const error = new Error(errorText(data));
      error.status = response.status;
      throw error;
    }
    return data;
  }

  function errorText(data) {
    if (!data) return T.failed;
    if (typeof data.detail === "string") return data.detail;
    // Field errors: the first field's first message (`code` is the error's code, not a field).
    const first = Object.entries(data).find(([key]) => key !== "code")?.[1];
    return Array.isArray(first) ? String(first[0]) : T.failed;
  }

  // --- status and reconnection (H12) -----------------------------------------------------------

  function setStatus(text, live) {
    statusEl.textContent = text;
    statusEl.classList.toggle("on", live);
    statusEl.dataset.state = live ? "live" : "down";
  }

  let attempts = 0;
  let retryTimer = null;

  function connect() {
    clearTimeout(retryTimer);
    reconnectButton.hidden = true;
    setStatus(T.connecting, false);
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws/chat/`);
    socket.addEventListener("message", (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      onEvent(message);
    });
    socket.addEventListener("close", (event) => {
      socket = null;
      if (event.code === 1008) {
        const replaced = event.reason === "Too many connections";
        setStatus(replaced ? T.replaced : T.signedOut, false);
        reconnectButton.hidden = !replaced;
        return;
      }
      attempts += 1;
      if (attempts > MAX_ATTEMPTS) {
        setStatus(T.offline, false);
        reconnectButton.hidden = false;
        return;
      }
      const delay = Math.min(FIRST_DELAY_MS * 2 ** (attempts - 1), MAX_DELAY_MS) * (0.5 + Math.random() / 2);
      setStatus(T.reconnecting(Math.ceil(delay / 1000)), false);
      retryTimer = setTimeout(connect, delay);
    });
  }

  reconnectButton.addEventListener("click", () => { attempts = 0; connect(); });

  function sendFrame(frame) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  // --- events from the socket ----------------------------------------------------------------

  function onEvent(event) {
    switch (event.type) {
      case "welcome": {
        // Counted as a success only once the server speaks: an accept followed by a close
        // must keep backing off.
        attempts = 0;
        setStatus(T.live, true);
        if (roomId && welcomed) {
          // Back after a drop: start the room again from its newest page, so nothing missed
          // is skipped (older pages stay reachable through "Earlier messages").
          messages.clear();
          list.replaceChildren();
          refreshNewest();
        }
        welcomed = true;
        refreshRooms();
        break;
      }
      case "ping":
        sendFrame({ type: "ping" }); // tells the server this client is alive (H3)
        break;
      case "new_message":
        onNewMessage(event.message);
        break;
      case "message_edited":
      case "message_deleted":
        if (event.message.room_id === roomId && messages.has(event.message.id)) {
          upsert(event.message);
        }
        if (event.type === "message_deleted") refreshRooms();
        break;
      case "read":
        if (event.room_id === roomId) scheduleCountsRefresh();
        break;
      case "user_joined":
      case "user_left":
        if (event.room_id === roomId && event.user.id !== userId) {
          system((event.type === "user_joined" ? T.joined : T.left)(event.user.username));
        }
        if (event.user.id === userId) refreshRooms();
        break;
      case "error":
        showError(event.message);
        break;
      default:
        break;
    }
  }

  function onNewMessage(message) {
    if (message.room_id === roomId) {
      upsert({ ...message, reply_count: 0, read_count: 0, unread_count: null });
      scrollToEnd();
      markRead(message.id);
      scheduleCountsRefresh(); // reply and read counts come with the page, from the server
    }
    updateRoomRow(message);
  }

  // --- the room list -------------------------------------------------------------------------

  function roomRow(id) {
    return document.querySelector(`#room-list li[data-room-id="${id}"]`);
  }

  function updateRoomRow(message) {
    const row = roomRow(message.room_id);
    if (!row) {
      refreshRooms();
      return;
    }
    const last = row.querySelector(".room-last") || row.appendChild(Object.assign(document.createElement("p"), { className: "room-last muted" }));
    last.textContent = message.content.slice(0, 40);
    if (message.room_id !== roomId && message.sender && message.sender.id !== userId) {
      const badge = row.querySelector(".unread-badge");
      badge.textContent = String(Number(badge.textContent || 0) + 1);
      badge.hidden = false;
    }
    row.parentElement.prepend(row); // newest activity first, as the server orders them
  }

  let roomsTimer = null;
  function refreshRooms() {
    clearTimeout(roomsTimer);
    roomsTimer = setTimeout(async () => {
      let rooms;
      try { rooms = await call("GET", `${api}rooms/`); } catch (e) { return; }
      const ul = document.getElementById("room-list");
      ul.replaceChildren(...rooms.map(roomItem));
    }, 150);
  }

  function roomItem(room) {
    const li = document.createElement("li");
    li.dataset.roomId = room.id;
    if (room.id === roomId) { li.className = "active"; li.setAttribute("aria-current", "page"); }
    const a = document.createElement("a");
    a.href = `/chat/${room.id}/`;
    const name = document.createElement("span");
    name.className = "room-name";
    name.textContent = room.name;
    a.append(name);
    if (room.stock) a.append(" ", Object.assign(document.createElement("span"), { className: "muted", textContent: room.stock }));
    const badge = Object.assign(document.createElement("span"), { className: "unread-badge", textContent: String(room.unread) });
    badge.dataset.testid = "unread";
    badge.hidden = !room.unread || room.id === roomId;
    li.append(a, badge);
    if (room.last_message) {
      const last = Object.assign(document.createElement("p"), { className: "room-last muted" });
      last.textContent = room.last_message.is_deleted ? T.deleted : room.last_message.content.slice(0, 40);
      li.append(last);
    }
    return li;
  }

  // --- the room on screen --------------------------------------------------------------------

  function timeText(iso) {
    const date = new Date(iso);
    return date.toLocaleString(lang === "ko" ? "ko-KR" : "en-GB", {
      month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZone: "Asia/Seoul",
    });
  }

  function messageItem(message) {
    const li = document.createElement("li");
    li.className = "chat-message" + (message.sender && message.sender.id === userId ? " own" : "");
    li.id = `m${message.id}`;
    li.dataset.id = message.id;
    const meta = document.createElement("div");
    meta.className = "chat-meta";
    meta.append(Object.assign(document.createElement("span"), { className: "chat-sender", textContent: message.sender ? message.sender.username : "—" }));
    const time = Object.assign(document.createElement("time"), { dateTime: message.created_at, textContent: timeText(message.created_at) });
    meta.append(time);
    if (message.edited_at && !message.is_deleted) meta.append(Object.assign(document.createElement("span"), { textContent: T.edited }));
    if (message.unread_count) {
      meta.append(Object.assign(document.createElement("span"), { className: "chat-unread", textContent: String(message.unread_count), title: T.unreadTitle }));
    }
    li.append(meta);
    if (message.reply_to) {
      const parent = messages.get(message.reply_to);
      const quote = Object.assign(document.createElement("p"), { className: "reply-quote" });
      quote.textContent = "↪ " + (parent ? `${parent.sender ? parent.sender.username : ""}: ${parent.is_deleted ? T.deleted : parent.content}` : `#${message.reply_to}`);
      quote.addEventListener("click", () => highlight(message.reply_to));
      li.append(quote);
    }
    const text = Object.assign(document.createElement("p"), { className: "chat-text" + (message.is_deleted ? " deleted" : "") });
    text.textContent = message.is_deleted ? T.deleted : message.content;
    if (message.content || message.is_deleted || !message.image) li.append(text);
    if (message.image && !message.is_deleted) {
      const link = Object.assign(document.createElement("a"), { href: message.image.url, target: "_blank", rel: "noopener" });
      link.append(Object.assign(document.createElement("img"), { className: "chat-image", src: message.image.url, alt: "", loading: "lazy" }));
      li.append(link);
    }
    if (!message.is_deleted && isMember) {
      const actions = Object.assign(document.createElement("div"), { className: "chat-actions" });
      const replyButton = Object.assign(document.createElement("button"), { type: "button", className: "link-button", textContent: message.reply_count ? `${T.reply} (${message.reply_count})` : T.reply });
      replyButton.addEventListener("click", () => startReply(message.id));
      actions.append(replyButton);
      if (message.sender && message.sender.id === userId) {
        const edit = Object.assign(document.createElement("button"), { type: "button", className: "link-button", textContent: T.edit });
        edit.addEventListener("click", () => editMessage(message.id));
        const remove = Object.assign(document.createElement("button"), { type: "button", className: "link-button", textContent: T.remove });
        remove.addEventListener("click", () => deleteMessage(message.id));
        actions.append(edit, remove);
      }
      li.append(actions);
    }
    return li;
  }

  // Insert or replace a message, keeping the list in id order (oldest at the top).
  function upsert(message) {
    const previous = messages.get(message.id);
    const merged = previous ? { ...previous, ...message } : message;
    if (merged.unread_count === null && previous) merged.unread_count = previous.unread_count;
    messages.set(message.id, merged);
    const item = messageItem(merged);
    const existing = document.getElementById(`m${message.id}`);
    if (existing) {
      existing.replaceWith(item);
      return;
    }
    const after = [...list.querySelectorAll(".chat-message")].find((li) => Number(li.dataset.id) > message.id);
    list.insertBefore(item, after || null);
  }

  function system(text) {
    list.append(Object.assign(document.createElement("li"), { className: "chat-system", textContent: text }));
    scrollToEnd();
  }

  function scrollToEnd() {
    list.scrollTop = list.scrollHeight;
  }

  function highlight(id) {
    const item = document.getElementById(`m${id}`);
    if (!item) return;
    item.scrollIntoView({ block: "center" });
    item.classList.add("highlight");
    setTimeout(() => item.classList.remove("highlight"), 2000);
  }

  async function loadPage(url) {
    const page = await call("GET", url);
    // Oldest first, so replies find the message they quote.
    for (const message of [...page.results].reverse()) upsert(message);
    return page;
  }

  async function refreshNewest() {
    if (!roomId) return;
    try {
      const page = await loadPage(`${api}rooms/${roomId}/messages/`);
      if (messages.size <= page.results.length) { // the first page of a fresh list
        olderUrl = page.next;
        olderButton.hidden = !olderUrl;
      }
      scrollToEnd();
      if (page.results.length && isMember) markRead(page.results[0].id);
    } catch (e) {
      showError(e.message);
    }
  }

  olderButton && olderButton.addEventListener("click", async () => {
    if (!olderUrl) return;
    const height = list.scrollHeight;
    let page;
    try { page = await loadPage(olderUrl); } catch (e) { showError(e.message); return; }
    olderUrl = page.next;
    olderButton.hidden = !olderUrl;
    list.scrollTop = list.scrollHeight - height; // keep the reader's place
  });

  // Read counts change with others' reads: fetch the newest page again (its messages come from
  // the server's cache; only the counts are read afresh), at most once a second.
  let countsTimer = null;
  function scheduleCountsRefresh() {
    if (countsTimer) return;
    countsTimer = setTimeout(async () => {
      countsTimer = null;
      try { await loadPage(`${api}rooms/${roomId}/messages/`); } catch (e) { /* the next event retries */ }
    }, 1000);
  }

  // Reads are sent at most every READ_EVERY_MS, for the newest message seen: a busy room must
  // not spend the user's frame budget, nor tell every member of every single read.
  const READ_EVERY_MS = 2000;
  let lastRead = 0;
  let readWanted = 0;
  let readTimer = null;
  function markRead(messageId) {
    if (!isMember || document.hidden) return;
    readWanted = Math.max(readWanted, messageId);
    if (readTimer || readWanted <= lastRead) return;
    readTimer = setTimeout(() => {
      readTimer = null;
      if (readWanted <= lastRead) return;
      lastRead = readWanted;
      if (!sendFrame({ type: "read", room_id: roomId, message_id: lastRead })) {
        call("POST", `${api}rooms/${roomId}/read/`, { message_id: lastRead }).catch(() => {});
      }
    }, lastRead ? READ_EVERY_MS : 0);
  }

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && messages.size) markRead(Math.max(...messages.keys()));
  });

  function showError(text) {
    if (errorEl) errorEl.textContent = text || "";
  }

  function startReply(id) {
    const message = messages.get(id);
    replyTo = id;
    document.getElementById("replying-to").textContent = message ? message.content.slice(0, 60) : `#${id}`;
    replying.hidden = false;
    input.focus();
  }

  document.getElementById("reply-cancel")?.addEventListener("click", () => {
    replyTo = null;
    replying.hidden = true;
  });

  async function editMessage(id) {
    const message = messages.get(id);
    const content = window.prompt(T.editPrompt, message.content);
    if (content === null || content === message.content) return;
    try {
      upsert(await call("PATCH", `${api}rooms/${roomId}/messages/${id}/`, { content }));
    } catch (e) {
      showError(e.message);
    }
  }

  async function deleteMessage(id) {
    if (!window.confirm(T.confirmDelete)) return;
    try {
      await call("DELETE", `${api}rooms/${roomId}/messages/${id}/`);
      upsert({ ...messages.get(id), content: "", is_deleted: true });
    } catch (e) {
      showError(e.message);
    }
  }

  composer?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const content = input.value.trim();
    if (!content) return;
    showError("");
    const frame = { type: "send_message", room_id: roomId, content };
    if (replyTo) frame.reply_to = replyTo;
    if (!sendFrame(frame)) {
      // Offline: the API stores it; the socket brings it to the others' screens.
      try {
        const body = { content };
        if (replyTo) body.reply_to = replyTo;
        upsert({ ...(await call("POST", `${api}rooms/${roomId}/messages/`, body)), reply_count: 0, read_count: 0, unread_count: null });
        scrollToEnd();
      } catch (e) {
        showError(e.message);
        return;
      }
    }
    input.value = "";
    replyTo = null;
    replying.hidden = true;
  });

  // An image: uploaded through the media API, sent once processed (a few seconds at most).
  document.getElementById("chat-file")?.addEventListener("change", async (event) => {
    const file = event.target.files[0];
    event.target.value = "";
    if (!file) return;
    showError(T.uploading);
    const body = new FormData();
    body.append("file", file);
    try {
      const response = await fetch("/api/v1/media/images/", {
        method: "POST", body, credentials: "same-origin", headers: { "X-CSRFToken": csrf, Accept: "application/json" },
      });
      let image = await response.json().catch(() => null);
      if (!response.ok) throw new Error(errorText(image));
      for (let tries = 0; image.status === "processing" && tries < 40; tries += 1) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        image = await call("GET", `/api/v1/media/images/${image.id}/`);
      }
      if (image.status !== "ready") throw new Error(image.failure_reason || T.failed);
      const frame = { type: "send_message", room_id: roomId, content: input.value.trim(), image: image.id };
      if (!sendFrame(frame)) await call("POST", `${api}rooms/${roomId}/messages/`, { content: frame.content, image: image.id });
      input.value = "";
      showError("");
    } catch (e) {
      showError(e.message);
    }
  });

  input?.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault(); // Korean input methods finish composing on Enter first
      composer.requestSubmit();
    }
  });

  document.getElementById("room-join")?.addEventListener("click", async (event) => {
    try {
      await call("POST", `${api}rooms/${roomId}/join/`);
    } catch (e) {
      showError(e.message);
      return;
    }
    isMember = true;
    event.target.remove();
    composer.hidden = false;
    messages.clear();
    list.replaceChildren();
    refreshNewest();
    refreshRooms();
  });

  document.getElementById("room-create").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const errorBox = document.getElementById("room-create-error");
    try {
      const room = await call("POST", `${api}rooms/`, { name: form.name.value, kind: "public" });
      location.href = `/chat/${room.id}/`;
    } catch (e) {
      errorBox.textContent = e.message;
    }
  });

  // --- search (H8) ----------------------------------------------------------------------------

  document.getElementById("chat-search").addEventListener("submit", async (event) => {
    event.preventDefault();
    const q = event.target.q.value.trim();
    const results = document.getElementById("chat-search-results");
    const errorBox = document.getElementById("chat-search-error");
    errorBox.textContent = "";
    results.replaceChildren();
    let page;
    try {
      page = await call("GET", `${api}search/?${new URLSearchParams({ q, limit: 20 })}`);
    } catch (e) {
      errorBox.textContent = e.message;
      return;
    }
    if (!page.results.length) {
      results.append(Object.assign(document.createElement("li"), { className: "muted", textContent: T.noResults }));
      return;
    }
    for (const hit of page.results) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = `/chat/${hit.room.id}/#m${hit.id}`;
      a.textContent = hit.room.name;
      const who = Object.assign(document.createElement("span"), { className: "muted", textContent: ` · ${hit.sender || "—"}` });
      const snippet = document.createElement("div");
      snippet.innerHTML = hit.snippet; // escaped by the server; only <mark> is markup
      li.append(a, who, snippet);
      results.append(li);
    }
  });

  // --- start -------------------------------------------------------------------------------------

  if (roomId) {
    refreshNewest().then(() => {
      if (location.hash.startsWith("#m")) highlight(Number(location.hash.slice(2)));
    });
  }
  connect();
})();
