// Node's worker_threads on the round trip of `parallax bench`: one worker echoes messages.
// Prints one JSON object. Run by `parallax bench`; `--quick` shrinks the loop.
const { Worker } = require("worker_threads");

const quick = process.argv.includes("--quick");
const worker = new Worker(`
  const { parentPort } = require("worker_threads");
  parentPort.on("message", (value) => parentPort.postMessage(value));
`, { eval: true });

const warmup = 200;
const rounds = quick ? 300 : 3000;
const samples = [];
let sent = 0;
let began = 0n;

function send() {
  began = process.hrtime.bigint();
  worker.postMessage(sent);
}

worker.on("message", () => {
  const elapsed = Number(process.hrtime.bigint() - began) / 1000;
  if (sent >= warmup) samples.push(elapsed);
  sent += 1;
  if (sent < warmup + rounds) {
    send();
  } else {
    samples.sort((a, b) => a - b);
    console.log(JSON.stringify({
      node_worker_threads_roundtrip_us_p50: samples[Math.floor(samples.length / 2)],
      node_version: process.version,
    }));
    worker.terminate();
  }
});

send();
