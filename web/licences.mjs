// The licences of every package the verifier page ships (esbuild bundles them into one script), as the page
// shows them: written beside the script into the Python package by `npm run build`.
import { readFileSync, readdirSync, writeFileSync } from "node:fs";

const SHIPPED = ["asn1js", "bytestreamjs", "canonicalize", "@noble/hashes", "pkijs", "pvtsutils", "pvutils", "yaml"];
const parts = SHIPPED.map((name) => {
  const folder = `node_modules/${name}`;
  const { version, license } = JSON.parse(readFileSync(`${folder}/package.json`, "utf8"));
  const file = readdirSync(folder).find((entry) => /^licen[cs]e/i.test(entry));
  return `${name} ${version} (${license})\n\n${readFileSync(`${folder}/${file}`, "utf8").trim()}\n`;
});
writeFileSync("../src/appeal_archive/views/verifier-licences.txt", parts.join("\n----------------------------------------\n\n"));
