/**
 * The API reference's worker (see buildApiInWorker): typedoc in a thread of
 * its own, told where the book explains each region, posting back its
 * problems and the symbols it documented.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { apiDecorator, buildApi, explainedBy, type Explanation } from './api.ts';

const job = workerData as { root: string; out: string; explanations: Explanation[] };
const result = await buildApi({ root: job.root, out: job.out, explained: explainedBy(job.explanations), decorate: apiDecorator });
parentPort!.postMessage(result);
