import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { HttpApiStartError } from '../http-error.js';
import { body, type Reply } from '../reply.js';

/**
 * The page's two static files, read once at start-up from `src/http/static/` (copied to
 * `dist/http/static/` by the build). Each is served under a name carrying a hash of its content
 * (`refit.3f9a1c2b.css`) with a year of caching, so a browser fetches it once per refit version
 * and never uses a stale one; the plain name works too, revalidated by ETag.
 */
export interface StaticAsset {
  readonly hashedName: string;
  readonly contentType: string;
  readonly content: Buffer;
  readonly gzipped: Buffer;
  readonly etag: string;
}

export interface StaticAssets {
  readonly css: StaticAsset;
  readonly js: StaticAsset;
}

const DIRECTORY = new URL('../static/', import.meta.url);

function load(file: string, contentType: string): StaticAsset {
  let content: Buffer;
  try {
    content = readFileSync(new URL(file, DIRECTORY));
  } catch (error) {
    throw new HttpApiStartError(`the status page's file ${file} is missing from ${DIRECTORY.pathname}`, {
      cause: error,
    });
  }
  const hash = createHash('sha256').update(content).digest('hex').slice(0, 10);
  const [stem, extension] = file.split('.');
  return {
    hashedName: `${stem ?? file}.${hash}.${extension ?? ''}`,
    contentType,
    content,
    gzipped: gzipSync(content, { level: 9 }),
    etag: `"${hash}"`,
  };
}

export function loadStaticAssets(): StaticAssets {
  return {
    css: load('refit.css', 'text/css; charset=utf-8'),
    js: load('refit.js', 'text/javascript; charset=utf-8'),
  };
}

/** `GET /static/<name>`: one of the two files, or `undefined` for any other name. */
export function staticReply(
  assets: StaticAssets,
  name: string,
  request: { readonly acceptEncoding: string | undefined; readonly ifNoneMatch: string | undefined },
): Reply | undefined {
  const asset = [assets.css, assets.js].find(
    (candidate) =>
      candidate.hashedName === name || `refit.${candidate.hashedName.split('.').at(-1) ?? ''}` === name,
  );
  if (asset === undefined) return undefined;
  const hashed = asset.hashedName === name;
  const headers: Record<string, string> = {
    'content-type': asset.contentType,
    'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
    etag: asset.etag,
    vary: 'accept-encoding',
    'x-content-type-options': 'nosniff',
  };
  if (
    request.ifNoneMatch !== undefined &&
    request.ifNoneMatch.split(',').some((tag) => tag.trim() === asset.etag)
  ) {
    return body(304, '', headers);
  }
  const gzip = request.acceptEncoding !== undefined && /\bgzip\b/.test(request.acceptEncoding);
  return gzip
    ? body(200, asset.gzipped, { ...headers, 'content-encoding': 'gzip' })
    : body(200, asset.content, headers);
}
