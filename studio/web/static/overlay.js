// Caption overlay: the host's final lines and the anchor's aired clauses, fed by /ws/events
// with the read-only overlay token (?token=…). Reconnects on its own; captions fade after a while.
"use strict";
const token = new URLSearchParams(location.search).get("token") || "";
const wsBase = (location.protocol === "https:" ? "wss://" : "ws://") + location.host;
const box = document.getElementById("captions");
const HOLD_MS = 6000;
const MAX_LINES = 2;

function show(kind, text) {
  const item = document.createElement("div");
  item.className = "caption " + kind;
  item.textContent = text; // text, never HTML
  box.appendChild(item);
  while (box.children.length > MAX_LINES) box.firstElementChild.remove();
  setTimeout(() => item.classList.add("fading"), HOLD_MS);
  setTimeout(() => item.remove(), HOLD_MS + 700);
}

function onEvent(event) {
  if (event.type === "transcript_updated" && event.is_final && event.text) show("host", event.text);
  else if (event.type === "reply_clause_started") show("anchor", event.clause);
  else if (event.type === "reply_captioned") show("anchor", event.clause);
}

function connect(delay) {
  const socket = new WebSocket(wsBase + "/ws/events?levels=0&token=" + encodeURIComponent(token));
  socket.onmessage = (message) => onEvent(JSON.parse(message.data));
  socket.onopen = () => { delay = 500; };
  socket.onclose = () => setTimeout(() => connect(Math.min(delay * 2, 10000)), delay);
}

connect(500);
