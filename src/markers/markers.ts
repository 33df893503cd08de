/*
 * Exercise markers in the source: a solution, then the student's starting
 * point, written out and commented so that the instructor's tree compiles
 * as it is:
 *
 *     // BEGIN SOLUTION ex03-rights
 *     return (rights & p.need) === p.need && …;
 *     // END SOLUTION ex03-rights
 *     // BEGIN STUB ex03-rights
 *     // return todo('ex03-rights', 'what to compute');
 *     // END STUB ex03-rights
 *
 * A whole-function exercise puts the markers around the function's body;
 * its stub may start with lines it gives the student (where an entry sits),
 * which the leak check then does not count as secrets. An exercise may have
 * several blocks, in one file or several: the k-th answer to it in a file
 * fills its k-th block there.
 *
 * One parser for the weave (which hides markers and stubs), the skeleton
 * generator (which swaps solution for stub) and the book check.
 */

// #region X-markers
// unwoven: course tooling, described in the README and the course chapter's text.
export const EXERCISE_ID = /^ex\d{2}-[a-z0-9][a-z0-9-]*$/;
const MARKER = /^\s*\/\/ (BEGIN|END) (SOLUTION|STUB) (\S+)\s*$/;

export interface ExerciseBlock {
  id: string;
  file: string;
  /** 1-based lines of the BEGIN SOLUTION and END STUB markers: the whole block. */
  start: number;
  end: number;
  /** The solution's lines and the stub's lines (uncommented), without markers. */
  solution: string[];
  stub: string[];
  /** Indentation of the BEGIN SOLUTION marker. */
  indent: string;
}

export interface MarkerError {
  file: string;
  line: number;
  message: string;
}

/** Is this line an exercise marker? */
export function isMarker(line: string): boolean {
  return MARKER.test(line);
}

/** Every exercise block in a file, or the errors that stop it being read. */
export function parseExercises(file: string, lines: string[]): { blocks: ExerciseBlock[]; errors: MarkerError[] } {
  const blocks: ExerciseBlock[] = [];
  const errors: MarkerError[] = [];
  const err = (line: number, message: string) => errors.push({ file, line, message });
  for (let i = 0; i < lines.length; i++) {
    const m = MARKER.exec(lines[i]!);
    if (!m) continue;
    const [, edge, kind, id] = m;
    if (edge !== 'BEGIN' || kind !== 'SOLUTION') {
      err(i + 1, `"${lines[i]!.trim()}" has no BEGIN SOLUTION before it`);
      continue;
    }
    if (!EXERCISE_ID.test(id!)) err(i + 1, `exercise id "${id}" must look like ex04-walk`);
    const indent = /^\s*/.exec(lines[i]!)![0];
    const find = (from: number, want: string) => {
      for (let j = from; j < lines.length; j++) {
        const n = MARKER.exec(lines[j]!);
        if (!n) continue;
        return `${n[1]} ${n[2]} ${n[3]}` === want ? j : -1;
      }
      return -1;
    };
    const endSol = find(i + 1, `END SOLUTION ${id}`);
    if (endSol < 0) {
      err(i + 1, `BEGIN SOLUTION ${id} is not closed by END SOLUTION ${id} before the next marker`);
      continue;
    }
    if (!MARKER.test(lines[endSol + 1] ?? '') || !new RegExp(`// BEGIN STUB ${id}\\s*$`).test(lines[endSol + 1]!)) {
      err(endSol + 1, `END SOLUTION ${id} must be followed at once by BEGIN STUB ${id}`);
      i = endSol;
      continue;
    }
    const endStub = find(endSol + 2, `END STUB ${id}`);
    if (endStub < 0) {
      err(endSol + 2, `BEGIN STUB ${id} is not closed by END STUB ${id}`);
      i = endSol;
      continue;
    }
    const stub = lines.slice(endSol + 2, endStub).map((l, k) => {
      const u = /^(\s*)\/\/ ?(.*)$/.exec(l);
      if (!u) err(endSol + 3 + k, `stub lines are commented out (// …) so that the solution tree compiles`);
      return u ? u[1]! + u[2]! : l;
    });
    blocks.push({ id: id!, file, start: i + 1, end: endStub + 1, solution: lines.slice(i + 1, endSol), stub, indent });
    i = endStub;
  }
  return { blocks, errors };
}

/** The instructor's view of some lines: markers and stubs gone. Returns the kept lines' indexes. */
export function withoutStubs(lines: string[]): number[] {
  const keep: number[] = [];
  let inStub = false;
  lines.forEach((l, i) => {
    const m = MARKER.exec(l);
    if (m) {
      if (m[2] === 'STUB') inStub = m[1] === 'BEGIN';
      return;
    }
    if (!inStub) keep.push(i);
  });
  return keep;
}
// #endregion X-markers
