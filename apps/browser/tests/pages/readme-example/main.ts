import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgl'; // registers "webgl" with tfjs-core
import { OnlineLearner } from '@microlora/learner';
import { createInference } from '@microlora/model-tfjs';
import weightsUrl from '@microlora/model-tfjs/weights/wordnet-dlm.mldm?url';
import patternsUrl from '@microlora/model-tfjs/weights/wordnet-patterns.mltl?url';

const bytes = async (url: string) => new Uint8Array(await (await fetch(url)).arrayBuffer());
const files = { weights: await bytes(weightsUrl), patterns: await bytes(patternsUrl) }; // ~440 KB + ~100 KB
console.log(await tf.setBackend('webgl'), tf.getBackend()); // true webgl (SwiftShader in headless Chromium)
const inf = await createInference(files); // the model on the active backend, its patterns, a personal learner
const reply = inf.generate('dog: ', { maxNewTokens: 32 }); // "lemma: " → the model writes a definition
console.log(reply.tokensGenerated, reply.text.length, reply.trajectory.steps.length); // 32 32 16
console.log(inf.feedback(reply, 1).learnerEvents, inf.learner!.deltaNorm() > 0); // 32 true (👍: a policy-gradient step per character)
const state = inf.learner!.exportState(); // what the page keeps in IndexedDB
const again = await createInference({ ...files, learner: OnlineLearner.fromState(state, { clipNorm: 1 }) });
console.log(again.learner!.deltaNorm() === inf.learner!.deltaNorm(), again.generate('dog: ').text === inf.generate('dog: ').text); // true true
document.body.dataset['ready'] = 'true';
