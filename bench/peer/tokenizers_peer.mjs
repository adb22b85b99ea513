// The peer of bench/tokenizer_bench.cpp: Hugging Face `tokenizers` (Rust, through the
// @anush008/tokenizers N-API bindings) on the same corpus, with the same protocol: 1 warm-up
// pass, then --runs timed passes over the corpus, median kept. `encode` awaits one text at a
// time; `encodeBatch` runs on rayon's pool (RAYON_NUM_THREADS). The timed work is encoding and
// reading each encoding's length; ids are read (for the parity checksum) in the warm-up only.
//
//   node tokenizers_peer.mjs --corpus FILE [--runs N] [--only NAME] [--tokenizers DIR]
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import tokenizers from "@anush008/tokenizers";

const { Tokenizer } = tokenizers;
const here = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const args = { runs: 5, only: "", tokenizers: path.join(here, "../../tests/fixtures/goldens/tokenizers") };
  for (let i = 0; i < argv.length; i++) {
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value`);
      return argv[++i];
    };
    if (argv[i] === "--corpus") args.corpus = value();
    else if (argv[i] === "--runs") args.runs = Math.max(1, parseInt(value(), 10));
    else if (argv[i] === "--only") args.only = value();
    else if (argv[i] === "--tokenizers") args.tokenizers = value();
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!args.corpus) throw new Error("--corpus FILE is required (write it with tokenizer_bench --write-corpus)");
  return args;
}

// FNV-1a over every id in corpus order, as tokenizer_bench computes it.
function checksum(encodings) {
  let h = 2166136261;
  for (const e of encodings) for (const id of e.getIds()) h = Math.imul(h ^ id, 16777619) >>> 0;
  return h >>> 0;
}

async function measure(runs, pass) {
  const warm = await pass();
  const tokens = warm.reduce((n, e) => n + e.getLength(), 0);
  const sum = checksum(warm);
  const seconds = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const encodings = await pass();
    let n = 0;
    for (const e of encodings) n += e.getLength();
    seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
    if (n !== tokens) throw new Error("token count changed between passes");
  }
  const sorted = [...seconds].sort((a, b) => a - b);
  return { tokens, checksum: sum, seconds, median_s: sorted[Math.floor(sorted.length / 2)], best_s: sorted[0] };
}

const args = parseArgs(process.argv.slice(2));
const docs = readFileSync(args.corpus, "utf8").split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l));
const bytes = docs.reduce((n, d) => n + Buffer.byteLength(d, "utf8"), 0);
const threads = parseInt(process.env.RAYON_NUM_THREADS || "", 10) || cpus().length;

for (const name of ["bart", "bert-base-uncased", "t5"]) {
  if (args.only && args.only !== name) continue;
  const loadStart = process.hrtime.bigint();
  const tokenizer = Tokenizer.fromFile(path.join(args.tokenizers, name, "tokenizer.json"));
  const load_s = Number(process.hrtime.bigint() - loadStart) / 1e9;
  const single = await measure(args.runs, async () => {
    const out = [];
    for (const doc of docs) out.push(await tokenizer.encode(doc));
    return out;
  });
  const batch = await measure(args.runs, () => tokenizer.encodeBatch(docs));
  for (const [mode, m, t] of [["encode", single, 1], ["encode_batch", batch, threads]]) {
    const row = { impl: "hf-tokenizers", tokenizer: name, mode, threads: t, docs: docs.length, bytes, ...m, load_s };
    console.log(JSON.stringify(row));
  }
}
