// Drives an MCP server over stdio with the official TypeScript SDK client and prints what it saw as one JSON line.
// Usage: node client.mjs '<json>' where json = {"command": "...", "args": [...], "env": {...},
//        "calls": [{"name": "...", "arguments": {...}}, ...]}
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const spec = JSON.parse(process.argv[2]);
const transport = new StdioClientTransport({
  command: spec.command,
  args: spec.args,
  env: { ...process.env, ...(spec.env ?? {}) },
  stderr: "inherit",
});
const client = new Client({ name: "agentmesh-js-test", version: "0.1.0" });
const out = { server: null, tools: [], results: [] };
try {
  await client.connect(transport);
  out.server = client.getServerVersion();
  const listed = await client.listTools();
  out.tools = listed.tools.map((t) => ({ name: t.name, required: t.inputSchema.required ?? [] }));
  for (const call of spec.calls) {
    const r = await client.callTool({ name: call.name, arguments: call.arguments }, undefined, { timeout: 120000 });
    out.results.push({
      name: call.name,
      isError: r.isError === true,
      text: (r.content ?? []).filter((c) => c.type === "text").map((c) => c.text).join("\n"),
      structured: r.structuredContent ?? null,
    });
  }
} finally {
  await client.close();
}
process.stdout.write(JSON.stringify(out) + "\n");
