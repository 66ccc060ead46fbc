// AudioWorklet (the audio thread): the mic, resampled to 16 kHz mono, cut into 320-sample PCM16
// frames posted to the page with their peak level. A plain linear resampler with a one-pole
// low-pass is enough for speech; the page asks for a 16 kHz context, so it is usually bypassed.
"use strict";
const TARGET_RATE = 16000;
const FRAME = 320;

class Pcm16Frames extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / TARGET_RATE; // input samples per output sample
    this.phase = 0;
    this.previous = 0;
    this.smooth = 0;
    this.frame = new Int16Array(FRAME);
    this.filled = 0;
    this.peak = 0;
  }

  push(sample) {
    const clipped = Math.max(-1, Math.min(1, sample));
    this.peak = Math.max(this.peak, Math.abs(clipped));
    this.frame[this.filled++] = clipped < 0 ? clipped * 32768 : clipped * 32767;
    if (this.filled === FRAME) {
      this.port.postMessage({ pcm: this.frame.buffer, peak: this.peak }, [this.frame.buffer]);
      this.frame = new Int16Array(FRAME);
      this.filled = 0;
      this.peak = 0;
    }
  }

  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (!channel) return true;
    if (this.step === 1) {
      for (let i = 0; i < channel.length; i++) this.push(channel[i]);
      return true;
    }
    const alpha = Math.min(1, 1 / this.step);
    for (let i = 0; i < channel.length; i++) {
      this.smooth += alpha * (channel[i] - this.smooth); // crude anti-alias before decimation
      while (this.phase < 1) {
        this.push(this.previous + (this.smooth - this.previous) * this.phase);
        this.phase += this.step;
      }
      this.phase -= 1;
      this.previous = this.smooth;
    }
    return true;
  }
}

registerProcessor("pcm16-frames", Pcm16Frames);
