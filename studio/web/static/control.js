// The control page: commands over the REST API (Bearer token), live state over /ws/events.
"use strict";
const params = new URLSearchParams(location.search);
const token = params.get("token") || "";
history.replaceState(null, "", location.pathname); // keep the token out of the address bar
const $ = (id) => document.getElementById(id);
const wsBase = (location.protocol === "https:" ? "wss://" : "ws://") + location.host;

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  $("error").textContent = response.ok ? "" : data.detail || response.statusText;
  return response.ok ? data : null;
}

function line(kind, text, partial, turn) {
  const id = kind + "-" + turn;
  let item = document.getElementById(id);
  if (!item) {
    item = document.createElement("li");
    item.id = id;
    $("transcript").appendChild(item);
  }
  item.className = kind + (partial ? " partial" : "");
  item.textContent = text; // text, never HTML
  $("transcript").scrollTop = $("transcript").scrollHeight;
}

const anchorText = {};
function onEvent(event) {
  switch (event.type) {
    case "hello": applyStatus(event.status); break;
    case "transcript_updated": line("host", event.text, !event.is_final, event.turn_id); break;
    case "reply_clause_started":
      anchorText[event.turn_id] = ((anchorText[event.turn_id] || "") + " " + event.clause).trim();
      line("anchor", anchorText[event.turn_id], false, event.turn_id);
      setOnAir(true); break;
    case "anchor_interrupted": setOnAir(false); break;
    case "turn_completed":
      setOnAir(false);
      if (event.latency_ms.voice_to_voice != null)
        $("latency").textContent = "voice-to-voice " + Math.round(event.latency_ms.voice_to_voice) + " ms";
      break;
    case "levels": $("mic").value = event.mic_db; $("program").value = event.program_db; break;
    case "stage_status_changed": refreshStatus(); break;
  }
}

function setOnAir(on) {
  $("onair").textContent = on ? "ON AIR" : "OFF AIR";
  $("onair").className = "badge " + (on ? "on" : "off");
}

let muted = false;
function applyStatus(status) {
  if (!status) return;
  $("state").textContent = status.ready ? "ready" : "loading models…";
  $("mode").value = status.mode;
  muted = status.muted;
  $("mute").classList.toggle("active", muted);
  $("mute").textContent = muted ? "UNMUTE MIC" : "MUTE MIC";
  setOnAir(status.on_air);
  if (status.voice) $("voice").value = status.voice;
}

async function refreshStatus() { applyStatus(await api("GET", "/api/status")); }

async function loadVoices() {
  const data = await api("GET", "/api/voices");
  if (!data) return;
  $("voice").replaceChildren(...data.voices.map((v) => new Option(v.name + " (" + v.anchor_name + ")", v.name)));
  $("voice").value = data.current;
}

function connect(delay) {
  const socket = new WebSocket(wsBase + "/ws/events?token=" + encodeURIComponent(token));
  socket.onmessage = (message) => onEvent(JSON.parse(message.data));
  socket.onopen = () => { delay = 500; };
  socket.onclose = () => {
    $("state").textContent = "reconnecting…";
    setTimeout(() => connect(Math.min(delay * 2, 10000)), delay);
  };
}

function talk(pressed) {
  $("talk").classList.toggle("held", pressed);
  api("POST", "/api/ptt", { pressed });
}

$("talk").addEventListener("pointerdown", () => talk(true));
for (const name of ["pointerup", "pointercancel", "pointerleave"])
  $("talk").addEventListener(name, () => $("talk").classList.contains("held") && talk(false));
$("dump").addEventListener("click", () => api("POST", "/api/interrupt"));
$("mute").addEventListener("click", async () => {
  if (await api("POST", "/api/mute", { muted: !muted })) refreshStatus();
});
$("voice").addEventListener("change", () => api("PUT", "/api/voice", { name: $("voice").value }));
$("mode").addEventListener("change", () => api("PUT", "/api/mode", { mode: $("mode").value }));
$("sayform").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("say").value.trim();
  if (text) api("POST", "/api/say", { text }).then((ok) => ok && ($("say").value = ""));
});

loadVoices();
connect(500);
