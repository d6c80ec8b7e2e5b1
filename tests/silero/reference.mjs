// SPDX-License-Identifier: LGPL-2.1-or-later
// Copyright (C) 2026 The gst-voicekit authors
// Reference Silero VAD probabilities from ONNX Runtime, for the parity test.
//
//   node reference.mjs MODEL RATE WINDOWS.f32 OUT.f32
//
// WINDOWS.f32: N windows of (context + window) float32 samples, 576 at
// 16 kHz, 288 at 8 kHz (the context already prepended, as Silero's streaming
// wrapper does). The state starts at zeros and is carried from window to
// window. OUT.f32: per window, the probability then stateN (h[128], c[128]):
// 257 float32. Needs VOICEKIT_ORT_DIR (see ort.mjs).
import { writeFileSync } from 'node:fs';
import { loadOrt, readWindows, session } from './ort.mjs';

const [model, rateText, input, output] = process.argv.slice(2);
if (!output) {
  console.error('usage: node reference.mjs MODEL RATE WINDOWS.f32 OUT.f32');
  process.exit(2);
}
const rate = Number(rateText);
const ort = loadOrt();
const { windows, width } = readWindows(input, rate);
const run = await session(ort, model);
const sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(rate)]), []);
let state = new ort.Tensor('float32', new Float32Array(256), [2, 1, 128]);
const out = new Float32Array(windows.length * 257);
for (let i = 0; i < windows.length; i++) {
  const result = await run.run({
    input: new ort.Tensor('float32', windows[i], [1, width]),
    state,
    sr,
  });
  out[i * 257] = result.output.data[0];
  out.set(result.stateN.data, i * 257 + 1);
  state = result.stateN;
}
writeFileSync(output, Buffer.from(out.buffer));
console.log(`${windows.length} windows at ${rate} Hz, onnxruntime-node ${ort.env.versions.node}`);
