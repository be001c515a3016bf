// k8s_schema.mjs — validates Kubernetes objects (a JSON array on stdin) against the API schemas of
// the npm package kubernetes-models (types, required fields, formats; it does not refuse
// unknown fields). Usage: node k8s_schema.mjs NODE_MODULES_DIR < objects.json
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import path from "node:path";

const mods = process.argv[2];
const load = async (group) =>
  import(pathToFileURL(path.join(mods, "kubernetes-models", group, "index.js")).href);
const groups = { v1: await load("v1"), "apps/v1": await load("apps/v1") };
let bad = 0;
for (const d of JSON.parse(readFileSync(0, "utf8"))) {
  const cls = groups[d.apiVersion] && groups[d.apiVersion][d.kind];
  const what = `${d.apiVersion} ${d.kind} ${d.metadata && d.metadata.name}`;
  if (!cls) {
    console.log(`FAIL: ${what}: no schema for this kind`);
    bad++;
    continue;
  }
  try {
    new cls(d).validate();
    console.log(`valid: ${what}`);
  } catch (e) {
    console.log(`FAIL: ${what}: ${e.message}`);
    bad++;
  }
}
process.exit(bad ? 1 : 0);
