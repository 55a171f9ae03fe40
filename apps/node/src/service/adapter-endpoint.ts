import { compress, encodeJson } from 'microlora';
import { encodeF32LoraJson } from '../lora-json.js';
import { parseBody, type EndpointResult, type ServiceContext } from './context.js';

/**
 * POST /adapter `{ query, t, hidden?, encoding? }` → the adapter composed for the
 * query at timestep t (exact f32 factors, or the int8 codec with encoding "int8"),
 * or, with `hidden`, the adapted hidden state hidden + ΔW·hidden. Always with the
 * source patterns and a requestId for POST /feedback.
 */
export function postAdapter(body: unknown, ctx: ServiceContext): EndpointResult {
  const request = parseBody(ctx.adapterSchema, body);
  const micro = ctx.store.micro;
  const query = typeof request.query === 'string' ? request.query : Float32Array.from(request.query);
  const { adapter, sources } = micro.adapterWithSources(query, request.t);
  const requestId = ctx.served.remember(sources.map((s) => s.id));
  const described = sources.map((s) => ({ id: s.id, weight: s.weight, similarity: s.similarity, score: s.score, banks: s.banks }));
  if (request.hidden !== undefined) {
    const adapted = micro.apply(Float32Array.from(request.hidden), adapter);
    return { status: 200, body: { requestId, t: request.t, rank: adapter.rank, hidden: Array.from(adapted), sources: described } };
  }
  const encoded = request.encoding === 'int8' ? (JSON.parse(encodeJson(compress(adapter, 'per-row'))) as unknown) : encodeF32LoraJson(adapter);
  return { status: 200, body: { requestId, t: request.t, adapter: encoded, sources: described } };
}
