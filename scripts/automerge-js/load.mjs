#!/usr/bin/env node
// Loads an agentmesh state document (the raw Automerge file written by `agentmesh export`, i.e. AgentState.save())
// with the JavaScript Automerge library and prints what it holds as one line of JSON.
// Usage: node load.mjs FILE
// It is a second, independent implementation reading our files: if it can read them, so can anyone's tools.
import { readFileSync } from "node:fs";
import * as Automerge from "@automerge/automerge";

const file = process.argv[2];
if (!file) {
  console.error("usage: node load.mjs FILE");
  process.exit(2);
}

let doc;
try {
  doc = Automerge.load(new Uint8Array(readFileSync(file)));
} catch (e) {
  console.error(`cannot load ${file}: ${e.message}`);
  process.exit(1);
}

const list = (v) => (Array.isArray(v) ? v : []);
const map = (v) => (v && typeof v === "object" && !Array.isArray(v) ? v : {});
const num = (v) => (typeof v === "number" || typeof v === "bigint" ? Number(v) : null);

const memory = list(doc.memory).map((e) => ({
  id: e?.id ?? null,
  time: num(e?.time),
  author: e?.author ?? null,
  kind: e?.kind ?? null,
  text: e?.text ?? null,
  tags: list(e?.tags).map(String),
}));

// costs/<actor hex>/<counter name> = counter; the total of a counter is the sum over actors.
const costs = {};
for (const perActor of Object.values(map(doc.costs))) {
  for (const [name, counter] of Object.entries(map(perActor))) {
    const value = counter instanceof Automerge.Counter ? counter.value : num(counter);
    if (value !== null) costs[name] = (costs[name] ?? 0) + value;
  }
}

const out = {
  agentId: doc.meta?.agentId ?? null,
  schemaVersion: num(doc.meta?.schemaVersion),
  heads: Automerge.getHeads(doc).slice().sort(),
  memoryCount: memory.length,
  memory,
  notes: typeof doc.notes === "string" ? doc.notes : String(doc.notes ?? ""),
  tasks: Object.keys(map(doc.tasks)).sort(),
  costs,
};
process.stdout.write(JSON.stringify(out) + "\n");
