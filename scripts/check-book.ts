/*
 * npm run check: every whole-book check, including running the examples, with
 * every problem printed as file:line: message.
 */
import { resolve } from 'node:path';
import { bookTranscripts, checkBook, loadBook } from '../src/literate/book.ts';
import { formatError } from '../src/literate/regions.ts';
import { checkTranscripts } from '../src/literate/transcripts.ts';

const root = resolve(import.meta.dirname, '..');
const book = loadBook(root);
const errors = checkBook(book);
errors.push(...(await checkTranscripts(root, bookTranscripts(book))));
for (const e of errors) console.error(formatError(e));
console.log(errors.length ? `${errors.length} problem(s) in the book.` : `The book is sound: ${book.chapters.length} chapters.`);
process.exit(errors.length ? 1 : 0);
