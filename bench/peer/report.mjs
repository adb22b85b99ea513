// Joins tokenizer_bench --json and tokenizers_peer.mjs rows into one Markdown table with ratios.
//   node report.mjs LMPIPE.jsonl PEER.jsonl
import { readFileSync } from "node:fs";

const rows = (file) => readFileSync(file, "utf8").split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
const [ours, peers] = process.argv.slice(2).map(rows);
const key = (r) => `${r.tokenizer}/${r.mode}`;
const peerByKey = new Map(peers.map((r) => [key(r), r]));
const mbps = (r) => r.bytes / r.median_s / 1e6;
const tps = (r) => r.tokens / r.median_s;

const first = ours[0] ?? peers[0];
if (first) console.log(`corpus: ${first.docs} docs, ${(first.bytes / 1e6).toFixed(2)} MB; median of ${first.seconds.length} timed runs after 1 warm-up\n`);
console.log("| tokenizer | mode | threads | lmpipe MB/s | lmpipe tokens/s | HF MB/s | HF tokens/s | lmpipe / HF | tokens lmpipe / HF | ids checksum |");
console.log("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |");
let parityFailures = 0;
for (const r of ours) {
  const p = peerByKey.get(key(r));
  const ratio = p ? (mbps(r) / mbps(p)).toFixed(2) + "x" : "n/a";
  const counts = p ? `${r.tokens} / ${p.tokens}` : `${r.tokens} / n/a`;
  const sameIds = p ? (r.checksum === p.checksum ? "same" : "DIFFERENT") : "n/a";
  if (p && (r.tokens !== p.tokens || r.checksum !== p.checksum)) parityFailures++;
  console.log(`| ${r.tokenizer} | ${r.mode} | ${r.threads} | ${mbps(r).toFixed(2)} | ${Math.round(tps(r))} | ${p ? mbps(p).toFixed(2) : "n/a"} | ${p ? Math.round(tps(p)) : "n/a"} | ${ratio} | ${counts} | ${sameIds} |`);
}
console.log(parityFailures ? `\nPARITY: ${parityFailures} rows differ from HF tokenizers` : "\nPARITY: token counts and id checksums match HF tokenizers");
process.exitCode = parityFailures ? 1 : 0;
