import type { BenchContext } from './context.js';
import { countByEndpoint } from './docker-proxy.js';
import { mapLimit } from './fixtures.js';
import { delta } from './refit-daemon.js';
import { round } from './report.js';
import type { CheckState } from './scenario-check.js';

/**
 * Scenario 2: new digests for some of scenario 1's images; one cycle (of the proxied daemon)
 * swaps every container of those images. Figures: the cycle's duration (start to all swapped
 * and verified), registry requests, pulls (engine manifest GETs and `POST /images/create`).
 */
export async function runUpdateScenario(ctx: BenchContext, state: CheckState): Promise<void> {
  const { options, figures, fixtures } = ctx;
  const staleImages = state.images.slice(0, options.stale);
  const expected = staleImages.length * options.perImage;
  ctx.progress(`scenario 2: pushing new digests for ${staleImages.length} images`);
  await mapLimit(staleImages, 3, (image) => fixtures.publishNewDigest(image));

  const repositories = new Set(state.images.map((image) => image.repository));
  const mark = ctx.registries.mark();
  const from = ctx.proxy.calls.length;
  const before = await state.proxied.registryRequestsByKind();
  ctx.progress(`scenario 2: one cycle swapping ${expected} containers`);
  const answer = await state.proxied.cycle();
  const calls = ctx.proxy.calls.slice(from);
  const registry = await ctx.registries.countSince(mark, repositories, state.images.length);
  const refitCounts = delta(await state.proxied.registryRequestsByKind(), before);
  const pulls = calls.filter((call) => call.endpoint === 'POST /images/create');
  const pullMs = pulls.map((call) => call.finishedAt - call.startedAt);

  const updated = answer.counts['updated'] ?? 0;
  const s = '2 update';
  const n = staleImages.length;
  figures.push(
    {
      scenario: s,
      name: `containers updated (of ${expected})`,
      value: updated,
      target: `= ${expected}, none failed or rolled back`,
      met:
        updated === expected &&
        (answer.counts['failed'] ?? 0) === 0 &&
        (answer.counts['rolled-back'] ?? 0) === 0,
      note: JSON.stringify(answer.counts),
    },
    {
      scenario: s,
      name: 'cycle start → all swapped and verified',
      value: answer.durationMs,
      unit: 'ms',
      note: `REFIT_SETTLE_TIME=1s; ${round(answer.durationMs / Math.max(updated, 1))} ms per container; pulls took ${pullMs.map((ms) => round(ms)).join(', ')} ms`,
    },
    {
      scenario: s,
      name: 'pulls (POST /images/create)',
      value: pulls.length,
      target: `= ${n}`,
      met: pulls.length === n,
    },
    {
      scenario: s,
      name: 'pulls (engine manifest requests by tag, registry logs)',
      value: registry.enginePulls,
      target: `= ${n}`,
      met: registry.enginePulls === n,
      note: `${registry.enginePulledRepositories} repositories; ${registry.engineRequests} engine requests in all`,
    },
    {
      scenario: s,
      name: `refit's registry requests (manifest HEAD ${registry.manifestHead}, GET ${registry.manifestGet})`,
      value: registry.manifestHead + registry.manifestGet,
      target: `= ${state.images.length} (one per image)`,
      met: registry.manifestHead + registry.manifestGet === state.images.length,
      note: `refit's own count: ${JSON.stringify(refitCounts)}; token requests (refit and engine): ${registry.token}`,
    },
    {
      scenario: s,
      name: 'Docker API calls',
      value: calls.length,
      note: `${round((calls.length - 1 - state.images.length) / Math.max(updated, 1), 1)} per swapped container beyond the check`,
    },
  );
  ctx.details['update'] = {
    staleImages: n,
    containers: expected,
    counts: answer.counts,
    durationMs: answer.durationMs,
    pullMs,
    registry,
    refitCounts,
    dockerCalls: countByEndpoint(calls),
    failures: answer.containers.filter((c) => c.status !== 'updated' && c.status !== 'fresh'),
  };
}
