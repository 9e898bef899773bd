#!/usr/bin/env node
// ONNX Runtime peer benchmark for cnnbench: rows in cnnbench's results.csv columns.
//
// Loads the models torch_bench.py exported (DIR/<model>_<input>_b<B>.onnx, opset 13) into
// onnxruntime-node (CPU execution provider) with the recipe of shared/anchors/peers.md:
// graph optimisation 'all', intra-op threads T, inter-op threads 1, sequential execution;
// warm-up passes (the first, cold one included), then timed passes until both a minimum
// time and a minimum count are reached; median, p10, p90 (linear interpolation, as
// suite.Quantile). One row per case, appended to -out, in the columns of `cnnbench bench`
// (DESIGN.md section 6) then `framework`.
//
// Before timing, the first pass runs PyTorch's reference input and its logits are compared
// with PyTorch's (written by the export): a different network is an error row, not a number.
//
//   npm ci --ignore-scripts          # in scripts/peers, once
//   node scripts/peers/ort_bench.js -models resnet18 -threads 1 -onnx-dir DIR \
//       -models-json models.json -out results/peers/results.csv
'use strict';

const fs = require('fs');
const path = require('path');

const HERE = __dirname;

function log(...a) {
  process.stderr.write('ort_bench: ' + a.join(' ') + '\n');
}

function die(msg) {
  process.stderr.write('ort_bench: ' + msg + '\n');
  process.exit(2);
}

// ---------------------------------------------------------------- shared bits
// The same helpers exist in torch_bench.py; keep them in step.

function loadColumns(p) {
  const cols = JSON.parse(fs.readFileSync(p, 'utf8')).columns;
  if (cols[0] !== 'model' || cols[1] !== 'infer_img_size' || !cols.includes('framework')) {
    die(`${p}: not a peers columns file`);
  }
  return cols;
}

// Fixed-point, shortest after rounding, never an exponent (as Go's 'f', -1).
function fmt(x, decimals) {
  if (x === null || x === undefined || (typeof x === 'number' && !Number.isFinite(x))) return '';
  if (typeof x === 'boolean') return x ? 'true' : 'false';
  if (Number.isInteger(x) && decimals === undefined) return String(x);
  let s = x.toFixed(decimals);
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s === '-0' || s === '' ? '0' : s;
}

function csvCell(v) {
  const s = v === undefined || v === null ? '' : String(v);
  if (/[",\n\r]/.test(s) || s !== s.trim()) return '"' + s.replace(/"/g, '""') + '"';
  return s;
}

function openOut(p, cols) {
  const header = cols.join(',');
  if (p === '-') {
    process.stdout.write(header + '\n');
    return (line) => process.stdout.write(line);
  }
  const d = path.dirname(p);
  if (d) fs.mkdirSync(d, { recursive: true });
  if (fs.existsSync(p) && fs.statSync(p).size > 0) {
    const head = fs.readFileSync(p, 'utf8').split('\n', 1)[0].replace(/\r$/, '');
    if (head !== header) die(`${p}: header differs from the peers columns; write to a new file`);
  } else {
    fs.writeFileSync(p, header + '\n');
  }
  return (line) => fs.appendFileSync(p, line);
}

function writeRow(write, cols, row) {
  write(cols.map((c) => csvCell(row[c])).join(',') + '\n');
}

// Hyndman & Fan type 7 (NumPy's default), as suite.Quantile.
function quantile(x, p) {
  const n = x.length;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  if (lo >= n - 1) return x[n - 1];
  return x[lo] + (h - lo) * (x[lo + 1] - x[lo]);
}

function summarize(ms) {
  const x = Float64Array.from(ms).sort();
  const q1 = quantile(x, 0.25);
  const q3 = quantile(x, 0.75);
  const lo = q1 - 1.5 * (q3 - q1);
  const hi = q3 + 1.5 * (q3 - q1);
  let sum = 0;
  let outliers = 0;
  for (const t of x) {
    sum += t;
    if (t < lo || t > hi) outliers++;
  }
  return {
    n: x.length, median: quantile(x, 0.5), p10: quantile(x, 0.1), p90: quantile(x, 0.9),
    mean: sum / x.length, min: x[0], max: x[x.length - 1], outliers,
  };
}

function parsePeaks(s) {
  const out = {};
  for (const part of (s || '').split(',').filter(Boolean)) {
    const [t, v] = part.split('=');
    if (!/^\d+$/.test(t) || !Number.isFinite(Number(v))) die(`-peak ${s}: want T=GFLOPS[,T=GFLOPS]`);
    out[Number(t)] = Number(v);
  }
  return out;
}

function baseRow(spec, batch, threads, algo, kernels, framework) {
  const h = Number(spec.input.split('x')[1]);
  return {
    model: spec.model, infer_img_size: h, infer_batch_size: batch,
    param_count: fmt(spec.params / 1e6, 6), infer_gmacs: fmt(spec.macs / 1e9, 9),
    infer_macts: fmt(spec.activations / 1e6, 6),
    algo, kernels, threads,
    family: spec.family || '', variant: spec.alias_of || spec.model, input: spec.input,
    params: spec.params, macs: spec.macs, activations: spec.activations, budget_limited: 'false',
    algos_used: framework, framework,
    key: `model=${spec.model}/input=${spec.input}/batch=${batch}/threads=${threads}/algo=${algo}/kernels=${kernels}`,
  };
}

function fillTiming(row, spec, batch, warm, firstMs, timedMs, peaks, peakSource) {
  const st = summarize(timedMs);
  const med = st.median;
  Object.assign(row, {
    status: 'ok', runs: st.n, warmup: warm, outliers: st.outliers,
    median_ms: fmt(med, 4), infer_step_time: fmt(med, 4), p10_ms: fmt(st.p10, 4), p90_ms: fmt(st.p90, 4),
    mean_ms: fmt(st.mean, 4), min_ms: fmt(st.min, 4), max_ms: fmt(st.max, 4),
    first_ms: fmt(firstMs, 4), build_ms: fmt(Math.max(firstMs - med, 0), 3),
    infer_samples_per_sec: fmt(batch / (med / 1e3), 2),
  });
  const gf = (2 * spec.macs * batch) / (med / 1e3) / 1e9;
  row.gflops_per_s = fmt(gf, 3);
  const pk = peaks[row.threads];
  if (pk) Object.assign(row, { peak_gflops: fmt(pk, 2), peak_source: peakSource, peak_fraction: fmt(gf / pk, 4) });
  return st;
}

function finishRow(row, t0) {
  row.case_s = fmt((now() - t0) / 1e3, 2);
  row.finished = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return row;
}

function now() {
  return Number(process.hrtime.bigint()) / 1e6; // ms
}

function onnxBase(dir, spec, batch) {
  return path.join(dir, `${spec.model}_${spec.input}_b${batch}`);
}

// ---------------------------------------------------------------- flags

function parseArgs(argv) {
  const o = {
    models: '', threads: '1', batch: '1', warmup: 3, 'min-runs': 5, 'min-time': 8, out: '-',
    columns: path.join(HERE, 'columns.json'), 'models-json': '', 'onnx-dir': '', peak: '', 'peak-source': '',
    'check-tol': 0.02,
  };
  const usage = `usage: node ort_bench.js -models LIST -onnx-dir DIR -models-json FILE [-threads LIST] [-batch LIST]
       [-warmup N] [-min-runs N] [-min-time SECONDS] [-out FILE.csv] [-columns FILE]
       [-peak T=GFLOPS,...] [-peak-source TEXT] [-check-tol REL]`;
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    if (a === '-h' || a === '--help' || a === '-help') {
      process.stdout.write(usage + '\n');
      process.exit(0);
    }
    a = a.replace(/^--?/, '');
    let v;
    const eq = a.indexOf('=');
    if (eq >= 0) {
      v = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    if (!(a in o)) die(`unknown flag -${a}\n${usage}`);
    if (v === undefined) {
      if (i + 1 >= argv.length) die(`flag -${a} needs a value`);
      v = argv[++i];
    }
    o[a] = typeof o[a] === 'number' ? Number(v) : v;
    if (Number.isNaN(o[a])) die(`-${a} ${v}: not a number`);
  }
  if (!o.models) die('-models is required\n' + usage);
  if (!o['onnx-dir']) die('-onnx-dir is required (torch_bench.py -export-onnx DIR writes it)');
  if (!o['models-json']) die('-models-json is required (cnnbench models -format json)');
  if (o.warmup < 1 || o['min-runs'] < 3 || o['min-time'] < 0) die('want -warmup >= 1, -min-runs >= 3, -min-time >= 0');
  return o;
}

// ---------------------------------------------------------------- ONNX Runtime

async function bench(ort, spec, batch, threads, o, ids, peaks) {
  const { algo, kernels, framework } = ids;
  const row = baseRow(spec, batch, threads, algo, kernels, framework);
  const t0 = now();
  try {
    const base = onnxBase(o['onnx-dir'], spec, batch);
    if (!fs.existsSync(base + '.onnx')) {
      throw new Error(`${base}.onnx missing: run torch_bench.py -export-onnx ${o['onnx-dir']} -export-only first`);
    }
    const sess = await ort.InferenceSession.create(base + '.onnx', {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
    });
    const check = JSON.parse(fs.readFileSync(base + '.check.json', 'utf8'));
    const readF32 = (p) => {
      const b = fs.readFileSync(p);
      return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    };
    const x = new ort.Tensor('float32', readF32(base + '.input.bin'), check.input_shape);
    const want = readF32(base + '.logits.bin');
    const feeds = { [sess.inputNames[0]]: x };
    row.setup_ms = fmt(now() - t0, 3);

    const once = async () => {
      const s = process.hrtime.bigint();
      const r = await sess.run(feeds);
      return [Number(process.hrtime.bigint() - s) / 1e6, r];
    };
    const [first, res] = await once();
    // Same network as PyTorch's? Max |difference| relative to max |logit|.
    const got = res[sess.outputNames[0]].data;
    if (got.length !== want.length) throw new Error(`output has ${got.length} values, PyTorch's ${want.length}`);
    let dmax = 0;
    let scale = 0;
    for (let i = 0; i < got.length; i++) {
      dmax = Math.max(dmax, Math.abs(got[i] - want[i]));
      scale = Math.max(scale, Math.abs(want[i]));
    }
    const rel = dmax / (scale || 1);
    if (!(rel <= o['check-tol'])) {
      throw new Error(`logits differ from PyTorch's by ${rel.toExponential(2)} of max|logit| (> -check-tol ${o['check-tol']})`);
    }
    let warm = 1;
    while (warm < o.warmup) {
      await once();
      warm++;
    }
    const timed = [];
    let total = 0;
    while (timed.length < o['min-runs'] || total < o['min-time'] * 1e3) {
      const [d] = await once();
      timed.push(d);
      total += d;
    }
    if (sess.release) await sess.release();
    const st = fillTiming(row, spec, batch, warm, first, timed, peaks, o['peak-source']);
    log(`${spec.model} ${spec.input} batch=${batch} threads=${threads} ${algo}/${kernels}: ` +
      `${st.median.toPrecision(4)} ms (p10 ${st.p10.toPrecision(4)}, p90 ${st.p90.toPrecision(4)}; ${st.n} runs; ` +
      `logits vs PyTorch ${rel.toExponential(1)})`);
  } catch (e) {
    row.status = 'error';
    row.reason = String(e && e.message ? e.message : e).replace(/\s+/g, ' ').slice(0, 500);
    log(`${spec.model} threads=${threads}: error: ${row.reason}`);
  }
  return finishRow(row, t0);
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  let ort;
  try {
    ort = require('onnxruntime-node');
  } catch (e) {
    die(`cannot load onnxruntime-node (${e.message.split('\n')[0]}): run 'npm ci --ignore-scripts' in ${HERE}`);
  }
  const specs = Object.fromEntries(JSON.parse(fs.readFileSync(o['models-json'], 'utf8')).map((s) => [s.model, s]));
  const models = o.models.split(',').filter(Boolean);
  const unknown = models.filter((m) => !(m in specs));
  if (unknown.length) die(`unknown model(s) ${unknown.join(', ')} (see cnnbench models)`);
  const threads = o.threads.split(',').filter(Boolean).map(Number);
  const batches = o.batch.split(',').filter(Boolean).map(Number);
  if (threads.some((t) => !(t >= 1)) || batches.some((b) => !(b >= 1))) die('-threads and -batch want positive integers');
  const peaks = parsePeaks(o.peak);
  const ver = (ort.env.versions && (ort.env.versions.node || ort.env.versions.common)) || 'unknown';
  const ids = {
    algo: `onnxruntime-${ver.split('.').slice(0, 2).join('.')}`,
    kernels: 'cpu', // the CPU execution provider (MLAS)
    framework: `onnxruntime-node ${ver}`,
  };
  const cols = loadColumns(o.columns);
  const write = openOut(o.out, cols);
  for (const m of models) {
    for (const b of batches) {
      for (const t of threads) {
        writeRow(write, cols, await bench(ort, specs[m], b, t, o, ids, peaks));
      }
    }
  }
}

main().catch((e) => die(String(e && e.stack ? e.stack : e)));
