import { docker } from '../../test/support/docker-cli.js';
import type { BenchContext } from './context.js';
import { countByEndpoint } from './docker-proxy.js';
import { mapLimit } from './fixtures.js';
import { delta, RefitDaemon } from './refit-daemon.js';
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
  // The containers of images that got no new digest, by ID and name (refit may ask either way).
  const staleRefs = new Set(staleImages.map((image) => image.ref));
  const listed = await docker(
    [
      'ps',
      '--no-trunc',
      '--filter',
      `label=com.centurylinklabs.watchtower.scope=${state.scope}`,
      '--format',
      '{{.ID}} {{.Names}} {{.Image}}',
    ],
    { bed: ctx.bed },
  );
  const freshIds = new Set(
    listed
      .split('\n')
      .map((line) => line.split(' '))
      .filter(([, , image]) => image !== undefined && !staleRefs.has(image))
      .flatMap(([id, name]) => [id ?? '', name ?? '']),
  );
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

  // Every container of an image that got no new digest is fresh: the engine must never read one.
  const inspectsOfFresh = calls.filter((call) => {
    const id = /^\/containers\/([^/]+)\/json$/.exec(call.path)?.[1];
    return id !== undefined && freshIds.has(id);
  }).length;

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
      target: '≤ 400',
      met: calls.length <= 400,
      note: `${round((calls.length - 1 - state.images.length) / Math.max(updated, 1), 1)} per swapped container beyond the check`,
    },
    {
      scenario: s,
      name: 'container inspects of fresh containers',
      value: inspectsOfFresh,
      target: '= 0',
      met: inspectsOfFresh === 0,
    },
  );

  // The same update with one swap at a time (today's behaviour before this release, and what
  // rolling restart does), measured in the same run on the same containers: new digests again.
  ctx.progress(`scenario 2: pushing new digests again for the serial cycle`);
  await mapLimit(staleImages, 3, (image) => fixtures.publishNewDigest(image));
  const serialDaemon = await RefitDaemon.start({
    bed: ctx.bed,
    scope: state.scope,
    extraEnv: { REFIT_UPDATE_CONCURRENCY: '1' },
  });
  ctx.progress(`scenario 2: the same update one swap at a time`);
  const serial = await serialDaemon.cycle().finally(() => serialDaemon.stop());
  const serialUpdated = serial.counts['updated'] ?? 0;
  const limit = serial.durationMs / 3;
  figures.push({
    scenario: s,
    name: 'cycle start → all swapped and verified, against one swap at a time',
    value: answer.durationMs,
    unit: 'ms',
    target: `≤ 1/3 × ${String(serial.durationMs)} = ${String(round(limit))} ms`,
    met: answer.durationMs <= limit && serialUpdated === expected,
    note: `concurrency 1 (REFIT_UPDATE_CONCURRENCY=1) took ${String(serial.durationMs)} ms for ${String(serialUpdated)} swaps; ratio ${String(round(answer.durationMs / serial.durationMs, 2))}`,
  });
  ctx.details['update'] = {
    serialDurationMs: serial.durationMs,
    inspectsOfFresh,
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
