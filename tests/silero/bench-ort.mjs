// SPDX-License-Identifier: LGPL-2.1-or-later
// Copyright (C) 2026 The gst-voicekit authors
// ONNX Runtime's time per Silero window, for bench-silero (same windows, one
// thread: intraOpNumThreads = interOpNumThreads = 1).
//
//   node bench-ort.mjs MODEL RATE WINDOWS.f32 ROUNDS
//
// Runs every window in order (state carried), ROUNDS times after one warm-up
// round, and prints one JSON line: microseconds per window of each round
// (time of session.run, awaited, per window) and the median and minimum.
import { loadOrt, readWindows, session } from './ort.mjs';

const [model, rateText, input, roundsText] = process.argv.slice(2);
if (!input) {
  console.error('usage: node bench-ort.mjs MODEL RATE WINDOWS.f32 [ROUNDS]');
  process.exit(2);
}
const rate = Number(rateText);
const rounds = Number(roundsText ?? 5);
const ort = loadOrt();
const { windows, width } = readWindows(input, rate);
const run = await session(ort, model);
const sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(rate)]), []);
const inputs = windows.map((w) => new ort.Tensor('float32', w, [1, width]));
let checksum = 0;

async function round() {
  let state = new ort.Tensor('float32', new Float32Array(256), [2, 1, 128]);
  const start = process.hrtime.bigint();
  for (const x of inputs) {
    const result = await run.run({ input: x, state, sr });
    checksum += result.output.data[0];
    state = result.stateN;
  }
  return Number(process.hrtime.bigint() - start) / 1000 / inputs.length;
}

await round();
const perRound = [];
for (let r = 0; r < rounds; r++) perRound.push(await round());
const sorted = [...perRound].sort((a, b) => a - b);
console.log(JSON.stringify({
  ort: ort.env.versions.node,
  windows: inputs.length,
  us_per_window: perRound,
  median: sorted[Math.floor(sorted.length / 2)],
  min: sorted[0],
  checksum,
}));
