// Parses Mermaid diagrams with the real Mermaid parser (mermaid.parse, in a jsdom window: Mermaid
// is ESM and expects a DOM). Reads a JSON array of diagram texts on stdin; prints a JSON array of
// results, one per diagram: { ok: true, type } or { ok: false, error }.
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
globalThis.DOMParser = dom.window.DOMParser;
globalThis.Element = dom.window.Element;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });

let input = '';
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const text of JSON.parse(input)) {
  try {
    const r = await mermaid.parse(text);
    results.push({ ok: true, type: r.diagramType });
  } catch (e) {
    results.push({ ok: false, error: String(e?.message ?? e).slice(0, 400) });
  }
}
process.stdout.write(JSON.stringify(results));
