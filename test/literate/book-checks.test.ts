/*
 * Each whole-book check, proven to fire: a small sound book (test/fixtures/books/base)
 * is copied, broken in one way, and checked. The sound book must pass.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { bookTranscripts, checkBook, loadBook } from '../../src/literate/book.ts';
import { formatError } from '../../src/literate/regions.ts';
import { FIGURES } from '../../src/figures/registry.ts';
import { bundleExamples } from '../../src/literate/runnable.ts';
import { checkTranscripts } from '../../src/literate/transcripts.ts';

const BASE = join(import.meta.dirname, '../fixtures/books/base');
const made: string[] = [];
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A copy of the sound book with `edits` applied: file → (text → new text). */
function brokenBook(edits: Record<string, (text: string) => string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'book-'));
  made.push(dir);
  cpSync(BASE, dir, { recursive: true });
  for (const [file, edit] of Object.entries(edits)) {
    let text = '';
    try {
      text = readFileSync(join(dir, file), 'utf8');
    } catch { /* a new file */ }
    writeFileSync(join(dir, file), edit(text));
  }
  return dir;
}

function errorsOf(root: string): string[] {
  return checkBook(loadBook(root)).map(formatError);
}

async function transcriptErrors(root: string): Promise<string[]> {
  return (await checkTranscripts(root, bookTranscripts(loadBook(root)))).map(formatError);
}

describe('the sound fixture book', () => {
  test('passes every check', async () => {
    expect(errorsOf(BASE)).toEqual([]);
    expect(await transcriptErrors(BASE)).toEqual([]);
  });
});

describe('each check fires on a broken book', () => {
  test('an exercise the course does not have is reported at its line', () => {
    const root = brokenBook({ 'chapters/01-walk.md': (t) => `${t}\n::: exercise ex01-nothing\nDo it.\n:::\n` });
    const at = readFileSync(join(root, 'chapters/01-walk.md'), 'utf8').split('\n').indexOf('::: exercise ex01-nothing') + 1;
    expect(errorsOf(root)).toContain(`chapters/01-walk.md:${at}: unknown exercise "ex01-nothing" (course/exercises.json has no exercises)`);
  });

  test('a solution block outside every woven region is reported at its line', () => {
    const root = brokenBook({ 'src/hw/a.ts': (t) => `${t}// BEGIN SOLUTION ex01-x\nexport const x = 1;\n// END SOLUTION ex01-x\n// BEGIN STUB ex01-x\n// export const x = 2;\n// END STUB ex01-x\n` });
    const at = readFileSync(join(root, 'src/hw/a.ts'), 'utf8').split('\n').indexOf('// BEGIN SOLUTION ex01-x') + 1;
    expect(errorsOf(root)).toContain(`src/hw/a.ts:${at}: exercise ex01-x lies outside every woven region: a student must be able to read the code around a stub`);
  });

  test('an unknown figure is reported at its line, with the figures there are', () => {
    const root = brokenBook({ 'chapters/01-walk.md': (t) => `${t}\n\`\`\`figure no-such-figure\n\`\`\`\n` });
    const at = readFileSync(join(root, 'chapters/01-walk.md'), 'utf8').split('\n').indexOf('```figure no-such-figure') + 1;
    expect(errorsOf(root)).toContain(`chapters/01-walk.md:${at}: unknown figure "no-such-figure" (figures: ${Object.keys(FIGURES).join(', ')})`);
  });

  test('a container closed with text after its ::: is reported at its line (markdown-it would leave it open)', () => {
    const root = brokenBook({ 'chapters/01-walk.md': (t) => `${t}\n::: beyond Our own\nWe do more.\n::: and more prose\n\n## A heading it would swallow\n` });
    const at = readFileSync(join(root, 'chapters/01-walk.md'), 'utf8').split('\n').indexOf('::: and more prose') + 1;
    expect(errorsOf(root)).toContain(`chapters/01-walk.md:${at}: "::: and more prose": a container closes with ::: alone on its line, and opens with ::: claim, ::: beyond or ::: exercise`);
    expect(errorsOf(root).filter((e) => e.includes('a container closes'))).toHaveLength(1);
  });

  test('a "Beyond lguest" callout without a title is reported at its line', () => {
    const root = brokenBook({ 'chapters/01-walk.md': (t) => `${t}\n::: beyond\nWe do more.\n:::\n` });
    const lines = readFileSync(join(root, 'chapters/01-walk.md'), 'utf8').split('\n');
    const at = lines.indexOf('::: beyond') + 1;
    expect(errorsOf(root)).toContain(`chapters/01-walk.md:${at}: a "::: beyond" callout needs a title: ::: beyond <what we do that lguest did not>`);
  });

  test('a missing region is reported at the chapter line, with the nearest name', () => {
    const root = brokenBook({ 'chapters/01-walk.md': (t) => t.replace('#HW-a', '#HW-aa') });
    expect(errorsOf(root)).toContain(
      'chapters/01-walk.md:7: region "HW-aa" not found in src/hw/a.ts (regions there: HW-a; did you mean "HW-a"?)',
    );
  });

  test('a missing source file is reported', () => {
    const root = brokenBook({ 'chapters/01-walk.md': (t) => t.replace('src/hw/a.ts', 'src/hw/nope.ts') });
    expect(errorsOf(root)).toContain('chapters/01-walk.md:7: no such source file src/hw/nope.ts');
  });

  test('a region woven twice is reported at its second weave', () => {
    const root = brokenBook({ 'chapters/02-host.md': (t) => t + '\n<<< @/src/hw/a.ts#HW-a\n' });
    expect(errorsOf(root)).toContain('chapters/02-host.md:14: region "HW-a" is woven twice (first at chapters/01-walk.md:7); weave each region once');
  });

  test('two regions woven back to back are reported at the second', () => {
    const root = brokenBook({
      'src/hw/a.ts': (t) => t + '// #region HW-b\nexport const b = 2;\n// #endregion HW-b\n',
      'chapters/01-walk.md': (t) => t.replace('<<< @/src/hw/a.ts#HW-a\n', '<<< @/src/hw/a.ts#HW-a\n\n<<< @/src/hw/a.ts#HW-b\n'),
    });
    expect(errorsOf(root)).toContain('chapters/01-walk.md:9: region "HW-b" is woven straight after "HW-a" (line 7): say what to notice in the one, and why the other, between them');
  });

  test('a line of src/hw in no region is reported', () => {
    const root = brokenBook({ 'src/hw/a.ts': (t) => t + 'export const stray = 2;\n' });
    expect(errorsOf(root)).toContain('src/hw/a.ts:7: this line is in no region: every line of src/hw is woven or marked unwoven');
  });

  test('a region of src/host that no chapter weaves is reported', () => {
    const root = brokenBook({ 'chapters/02-host.md': (t) => t.replace('<<< @/src/host/b.ts#H330-demand', '') });
    expect(errorsOf(root)).toContain('src/host/b.ts:6: region "H330-demand" is never woven into a chapter (weave it, or make it X- with "// unwoven: <reason>")');
  });

  test('an unwoven region without a reason is reported', () => {
    const root = brokenBook({ 'src/host/b.ts': (t) => t.replace('// unwoven: a debugging aid, not part of the story\n', '') });
    expect(errorsOf(root)).toContain('src/host/b.ts:12: unwoven region "X-debug" needs "// unwoven: <reason>" as its first line');
  });

  test('H: regions out of order are reported', () => {
    const root = brokenBook({
      'chapters/02-host.md': (t) => t.replace('#H300-intro', '#TMP').replace('#H330-demand', '#H300-intro').replace('#TMP', '#H330-demand'),
    });
    expect(errorsOf(root)).toContain('chapters/02-host.md:12: H:300 is woven after H:330 (chapters/02-host.md:8); H: regions must appear in ascending order');
  });

  test('an H: region outside its chapter\'s range is reported', () => {
    const root = brokenBook({ 'chapters/02-host.md': (t) => t.replace('h: [300, 400]', 'h: [310, 400]') });
    expect(errorsOf(root)).toContain('chapters/02-host.md:8: H:300 is outside this chapter\'s range [310,400]');
  });

  test('an H: number missing from the conformance map is reported', () => {
    const root = brokenBook({ 'docs/conformance.yaml': (t) => t.slice(0, t.indexOf('- h: 400')) });
    expect(errorsOf(root)).toContain('docs/conformance.yaml:0: H:400 (guest_set_pgd) is in lguest\'s Host journey but missing from the conformance map');
  });

  test('a diverging section without a reason, and a region that does not exist, are reported', () => {
    const root = brokenBook({ 'docs/conformance.yaml': (t) => t.replace('status: ported\n  regions: [H330-demand]', 'status: diverges\n  regions: [H330-demand, H330-nothing]') });
    const errors = errorsOf(root);
    expect(errors).toContain('docs/conformance.yaml:4: H:330: status diverges needs a note saying why');
    expect(errors).toContain('docs/conformance.yaml:4: H:330: region "H330-nothing" does not exist');
  });

  test('a claim without a test is reported', () => {
    const root = brokenBook({ 'chapters/01-walk.md': (t) => t + '\n::: claim lonely-claim\nNothing tests this.\n:::\n' });
    expect(errorsOf(root)).toContain('chapters/01-walk.md:18: claim "lonely-claim" has no test: add claim(\'lonely-claim\', …) under test/');
  });

  test('a test naming a claim no chapter makes is reported', () => {
    const root = brokenBook({ 'test/a.test.ts': (t) => t + "\nclaim('ghost-claim', () => {});\n" });
    expect(errorsOf(root)).toContain('test/a.test.ts:9: test names claim "ghost-claim", which no chapter makes');
  });

  test('a stale transcript is reported at the differing line', async () => {
    const root = brokenBook({ 'examples/hello.ts': (t) => t.replace('2 + 2', '2 * 3').replace('${2 + 2}', '${2 * 3}') });
    expect(await transcriptErrors(root)).toEqual([
      'chapters/01-walk.md:15: stale transcript of examples/hello.ts: line 2 shows "2 + 2 = 4" but the example prints "2 * 3 = 6"',
    ]);
  });

  test('an example that does not compile is reported at its transcript, and the others still run and are checked', async () => {
    const root = brokenBook({
      'examples/broken.ts': () => 'console.log(\'never\';\n',
      'examples/hello.ts': (t) => t.replace('${2 + 2}', '${2 * 3}'),
      'chapters/01-walk.md': (t) => t.replace('2 + 2 = 4\n```\n', '2 + 2 = 4\n```\n\n```transcript examples/broken.ts\nnever\n```\n'),
    });
    const errors = await transcriptErrors(root);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBe('chapters/01-walk.md:15: stale transcript of examples/hello.ts: line 2 shows "2 + 2 = 4" but the example prints "2 + 2 = 6"');
    expect(errors[1]).toMatch(/^chapters\/01-walk\.md:18: example examples\/broken\.ts failed: .*Expected "\)" but found ";"/);
    // The page's Run buttons: the example that compiles gets one, the other none.
    const out = mkdtempSync(join(tmpdir(), 'run-'));
    made.push(out);
    expect([...(await bundleExamples(root, out, ['examples/hello.ts', 'examples/broken.ts']))]).toEqual([['examples/hello.ts', 'run/hello.js']]);
    expect(readFileSync(join(out, 'run/hello.js'), 'utf8')).toContain('hello from the fixture');
  });

  test('examples run one after another in a worker are checked as each would run alone: work left for later, a failure, an exit code', async () => {
    const fence = (name: string, text: string) => `\n\`\`\`transcript examples/${name}.ts\n${text}\`\`\`\n`;
    const root = brokenBook({
      'examples/later.ts': () => "console.log('now');\nsetTimeout(() => console.log('later'), 20);\n",
      'examples/throws.ts': () => "console.log('before');\nthrow new Error('boom');\n",
      'examples/exits.ts': () => "console.log('said');\nprocess.exitCode = 3;\n",
      // It waits longer than later's timer: run after later in the same worker, it would print later's line too.
      'examples/after.ts': () => "await new Promise((done) => setTimeout(done, 200));\nconsole.log('after');\nexport {};\n",
      // Two workers, the examples dealt in turn: hello, later, after in one; exits, throws in the other.
      'chapters/01-walk.md': (t) => t + fence('exits', 'said\n') + fence('later', 'now\nlater\n') + fence('throws', 'before\n') + fence('after', 'after\n'),
    });
    const errors = await transcriptErrors(root);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/^chapters\/01-walk\.md:\d+: example examples\/exits\.ts failed: exited with code 3/);
    expect(errors[1]).toMatch(/^chapters\/01-walk\.md:\d+: example examples\/throws\.ts failed: .*Error: boom/);
  });

  test('chapters out of part order are reported', () => {
    const root = brokenBook({ 'chapters/00-preface.md': (t) => t.replace('part: preface', 'part: host') });
    expect(errorsOf(root)).toContain('chapters/01-walk.md:1: part "hardware" comes after "host"; parts run preface, hardware, host, mastery, appendix');
  });

  test('every error is collected, not just the first', () => {
    const root = brokenBook({
      'chapters/01-walk.md': (t) => t.replace('#HW-a', '#HW-b'),
      'src/host/b.ts': (t) => t + 'export const stray = 1;\n',
    });
    expect(errorsOf(root).length).toBeGreaterThanOrEqual(3);
  });
});
