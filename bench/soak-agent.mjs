// The agent the chaos soak runs (bench/soak.ts): a real process that keeps a sequence number in its memory
// file (.hive/memory/seq.txt: what snapshots carry), logs every start with the number it resumed from, and
// reads its messages from the bus through the host's API, recording each one before acknowledging it.
// Plain Node, no dependencies: it runs as the agent's command line under tmux or the process backend.
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const name = process.env.HIVE_AGENT;
const url = process.env.HIVE_URL;
const token = process.env.HIVE_TOKEN;
const memDir = path.join('.hive', 'memory');
const seqFile = path.join(memDir, 'seq.txt');
mkdirSync(memDir, { recursive: true });

let seq = existsSync(seqFile) ? Number(readFileSync(seqFile, 'utf8').trim()) || 0 : 0;
appendFileSync('soak-starts.log', `${Date.now()} ${process.pid} ${seq}\n`);
process.stdout.write(`soak agent ${name} resumed at ${seq}\n`);

const seen = new Set(existsSync('soak-received.log') ? readFileSync('soak-received.log', 'utf8').split('\n').filter(Boolean) : []);

setInterval(() => {
  seq++;
  const tmp = `${seqFile}.${process.pid}.tmp`;
  writeFileSync(tmp, String(seq));
  renameSync(tmp, seqFile);
  if (seq % 50 === 0) process.stdout.write(`seq ${seq}\n`);
}, 100);

async function call(channel, body) {
  const res = await fetch(`${url}/api/invoke/${channel}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-hive-actor': name },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  if (res.status !== 200) throw new Error(`${channel}: ${res.status}`);
  return (await res.json()).result;
}

async function readMessages() {
  for (;;) {
    try {
      const msgs = await call('msg:inbox', { name, waitMs: 2000, ack: false, limit: 100 });
      if (msgs.length === 0) continue;
      for (const m of msgs) {
        // Recorded before the ack: a crash in between means a redelivery, never a loss.
        if (seen.has(m.id)) appendFileSync('soak-duplicates.log', `${m.id}\n`);
        else {
          seen.add(m.id);
          appendFileSync('soak-received.log', `${m.id}\n`);
        }
      }
      await call('msg:ack', { name, ids: msgs.map((m) => m.id) });
    } catch {
      // The host is down or restarting: try again shortly.
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
void readMessages();
setInterval(() => void call('agents:heartbeat', { name }).catch(() => {}), 2000);
