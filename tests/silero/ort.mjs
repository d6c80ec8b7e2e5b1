// SPDX-License-Identifier: LGPL-2.1-or-later
// Copyright (C) 2026 The gst-voicekit authors
// Shared by reference.mjs and bench-ort.mjs: loads onnxruntime-node from the
// directory named by VOICEKIT_ORT_DIR (a node_modules directory, or the
// directory holding one) and reads the windows file.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function loadOrt() {
  const dir = process.env.VOICEKIT_ORT_DIR;
  if (!dir) {
    throw new Error('VOICEKIT_ORT_DIR is not set (the node_modules holding onnxruntime-node)');
  }
  // Resolution from DIR/x looks in DIR/node_modules, then DIR's parents'
  // node_modules: both forms of the variable work.
  const require = createRequire(join(dir, 'x.js'));
  try {
    return require('onnxruntime-node');
  } catch (first) {
    return createRequire(join(dir, 'node_modules', 'x.js'))('onnxruntime-node');
  }
}

// Windows file: N x (context + window) little-endian float32 samples.
export function readWindows(path, rate) {
  const width = rate === 8000 ? 256 + 32 : 512 + 64;
  const bytes = readFileSync(path);
  if (bytes.length % (4 * width) !== 0) {
    throw new Error(`${path}: ${bytes.length} bytes is not a whole number of ${width}-sample windows`);
  }
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  const windows = [];
  for (let i = 0; i < all.length; i += width) windows.push(all.slice(i, i + width));
  return { windows, width };
}

export async function session(ort, model) {
  return ort.InferenceSession.create(model, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
}
