// The guest page: the mic goes to /ws/audio as 16 kHz PCM16 frames (uint32 LE sequence number +
// 320 samples), the anchor's program comes back in the same format and is played as it arrives.
// Reconnects on its own with a growing delay; the token comes from the page's own URL.
"use strict";
const params = new URLSearchParams(location.search);
const token = params.get("token") || "";
history.replaceState(null, "", location.pathname); // keep the token out of the address bar
const $ = (id) => document.getElementById(id);
const wsBase = (location.protocol === "https:" ? "wss://" : "ws://") + location.host;
const RATE = 16000;
const FRAME = 320;
const HEADER = 4;
const MAX_BUFFERED = 16 * (HEADER + 2 * FRAME); // a socket this far behind drops mic frames
const PLAY_LEAD_S = 0.03; // scheduled this far ahead so small network jitter is not heard
const MAX_AHEAD_S = 0.3; // audio scheduled further ahead than this is late: start again
const REFUSED = new Set([1003, 1008]); // the server refused what this page sent: say so

const guest = { audio: null, stream: null, node: null, socket: null, seq: 0, playAt: 0,
  delay: 500, timer: 0, joined: false, heard: 0, sent: 0, dropped: 0 };

function setState(text, live) {
  $("state").textContent = text;
  $("state").className = "badge" + (live ? " live" : "");
}

function db(peak) { return Math.max(-60, 20 * Math.log10(peak + 1e-9)); }

async function join() {
  $("error").textContent = "";
  try {
    guest.stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
  } catch (error) {
    $("error").textContent = "No microphone: " + error.message;
    return;
  }
  guest.audio = new AudioContext({ sampleRate: RATE, latencyHint: "interactive" });
  await guest.audio.audioWorklet.addModule("/assets/guest-worklet.js");
  guest.node = new AudioWorkletNode(guest.audio, "pcm16-frames", { numberOfOutputs: 0 });
  guest.node.port.onmessage = (message) => sendFrame(message.data);
  guest.audio.createMediaStreamSource(guest.stream).connect(guest.node);
  await guest.audio.resume();
  guest.joined = true;
  $("join").hidden = true;
  $("leave").hidden = false;
  connect();
}

function leave() {
  guest.joined = false;
  clearTimeout(guest.timer);
  if (guest.socket) guest.socket.close(1000, "guest left");
  if (guest.stream) guest.stream.getTracks().forEach((track) => track.stop());
  if (guest.audio) guest.audio.close();
  guest.socket = guest.audio = guest.stream = guest.node = null;
  $("join").hidden = false;
  $("leave").hidden = true;
  setState("not joined", false);
}

function sendFrame(data) {
  $("mic").value = db(data.peak);
  const socket = guest.socket;
  if (!socket || socket.readyState !== WebSocket.OPEN) return;
  if (socket.bufferedAmount > MAX_BUFFERED) { guest.dropped++; return; } // never pile up latency
  const frame = new Uint8Array(HEADER + 2 * FRAME);
  new DataView(frame.buffer).setUint32(0, guest.seq++ >>> 0, true);
  frame.set(new Uint8Array(data.pcm), HEADER);
  socket.send(frame.buffer);
  guest.sent++;
}

function play(buffer) {
  const view = new DataView(buffer);
  const samples = new Float32Array((buffer.byteLength - HEADER) / 2);
  let peak = 0;
  for (let i = 0; i < samples.length; i++) {
    samples[i] = view.getInt16(HEADER + 2 * i, true) / 32768;
    peak = Math.max(peak, Math.abs(samples[i]));
  }
  $("anchor").value = db(peak);
  $("onair").textContent = peak > 0.01 ? "anchor speaking" : "anchor quiet";
  $("onair").className = "badge" + (peak > 0.01 ? " on" : "");
  guest.heard++;
  const context = guest.audio;
  if (!context) return;
  const chunk = context.createBuffer(1, samples.length, RATE);
  chunk.copyToChannel(samples, 0);
  const source = context.createBufferSource();
  source.buffer = chunk;
  source.connect(context.destination);
  const now = context.currentTime;
  if (guest.playAt < now || guest.playAt > now + MAX_AHEAD_S) guest.playAt = now + PLAY_LEAD_S;
  source.start(guest.playAt);
  guest.playAt += chunk.duration;
}

function onText(message) {
  if (message.type === "hello") {
    guest.delay = 500;
    setState(message.input ? "on the show" : "listening", true);
  } else if (message.type === "stats") {
    $("stats").textContent = "sent " + guest.sent + " · heard " + guest.heard + " · late " +
      (message.late || 0) + " · lost " + ((message.concealed || 0) + guest.dropped);
  }
}

function connect() {
  const url = wsBase + "/ws/audio?rate=" + RATE + "&frame=" + FRAME + "&token=" + encodeURIComponent(token);
  const socket = new WebSocket(url);
  socket.binaryType = "arraybuffer";
  guest.socket = socket;
  guest.seq = 0;
  socket.onmessage = (message) => {
    if (typeof message.data === "string") onText(JSON.parse(message.data));
    else play(message.data);
  };
  socket.onclose = (event) => {
    if (guest.socket === socket) guest.socket = null;
    if (!guest.joined) return;
    if (REFUSED.has(event.code)) $("error").textContent = event.reason;
    else if (event.reason) $("error").textContent = "disconnected: " + event.reason;
    setState("reconnecting…", false);
    const wait = guest.delay * (0.75 + Math.random() / 2); // jitter: guests do not return in step
    guest.delay = Math.min(guest.delay * 2, 15000);
    guest.timer = setTimeout(connect, wait);
  };
}

$("join").addEventListener("click", join);
$("leave").addEventListener("click", leave);
