/**
 * npm run vectors -- FILE...
 * Runs x86 paging conformance vectors through src/hw: one line per mismatch,
 * then "N passed, M failed". Exits 1 when any case failed.
 */
import { readFileSync } from 'node:fs';
import { runVectorText } from '../src/tools/vectors.ts';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: npm run vectors -- FILE.jsonl [FILE.jsonl ...]');
  process.exit(2);
}
let passed = 0;
let failed = 0;
for (const file of files) {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    console.error(`${file}: cannot read: ${(e as Error).message}`);
    process.exit(2);
  }
  const result = runVectorText(text, file);
  for (const line of result.lines) console.log(line);
  passed += result.passed;
  failed += result.failed;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
