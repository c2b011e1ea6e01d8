import { execFile, type ExecFileException } from 'node:child_process';
import { z } from 'zod';
import { CredentialError, type Credentials } from './credentials.js';

/**
 * Runs `docker-credential-<helper> get` for a server URL. Resolves `undefined` when the helper
 * has nothing stored for it; rejects with a CredentialError when the helper is broken.
 */
export type CredentialHelperRunner = (helper: string, serverUrl: string) => Promise<Credentials | undefined>;

export interface CredentialHelperOptions {
  /** Environment for the helper; its PATH is where the helper is looked up. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Default 10 s: helpers talking to a keychain or cloud API can be slow, but must not hang a cycle. */
  readonly timeoutMs?: number | undefined;
}

const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const MAX_OUTPUT_BYTES = 1024 * 1024;

/** The credential helper protocol's answer to `get`. */
const helperAnswerSchema = z.object({
  Username: z.string(),
  Secret: z.string(),
  ServerURL: z.string().optional(),
});

/** Docker's helpers all say this (docker-credential-helpers' ErrCredentialsNotFound). */
const NOT_FOUND_MESSAGE = /credentials not found/i;

/** A username of `<token>` marks the secret as an identity (refresh) token, per Docker's convention. */
const IDENTITY_TOKEN_USERNAME = '<token>';

export function createCredentialHelperRunner(options: CredentialHelperOptions = {}): CredentialHelperRunner {
  const env = options.env ?? process.env;
  const timeoutMs = options.timeoutMs ?? 10_000;

  return (helper, serverUrl) => {
    if (!HELPER_NAME.test(helper)) {
      return Promise.reject(
        new CredentialError('CREDENTIAL_HELPER_FAILED', `"${helper}" is not a valid credential helper name`),
      );
    }
    const program = `docker-credential-${helper}`;
    return new Promise((resolve, reject) => {
      const child = execFile(
        program,
        ['get'],
        { env, timeout: timeoutMs, maxBuffer: MAX_OUTPUT_BYTES, encoding: 'utf8', windowsHide: true },
        (error, stdout, stderr) => {
          if (error) {
            const output = `${stdout}\n${stderr}`;
            if (NOT_FOUND_MESSAGE.test(output)) {
              resolve(undefined);
              return;
            }
            reject(helperFailure(program, serverUrl, error, output, timeoutMs));
            return;
          }
          try {
            resolve(parseHelperAnswer(program, serverUrl, stdout));
          } catch (parseError) {
            reject(parseError instanceof Error ? parseError : new Error(String(parseError)));
          }
        },
      );
      // A helper that exits before reading stdin makes the write fail with EPIPE; the exit status
      // reported to the callback above is what matters, so the stream error is ignored.
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(serverUrl);
    });
  };
}

function parseHelperAnswer(program: string, serverUrl: string, stdout: string): Credentials | undefined {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch (cause) {
    // The output may hold a secret, so only its shape is described.
    throw new CredentialError(
      'CREDENTIAL_HELPER_FAILED',
      `${program} answered something other than JSON for ${serverUrl}`,
      describeWithoutDetails(cause),
    );
  }
  const parsed = helperAnswerSchema.safeParse(json);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
    throw new CredentialError(
      'CREDENTIAL_HELPER_FAILED',
      `${program} answered without the expected fields for ${serverUrl} (${fields})`,
    );
  }
  const { Username: username, Secret: secret } = parsed.data;
  if (secret === '') return undefined;
  if (username === IDENTITY_TOKEN_USERNAME) return { identityToken: secret };
  return { username, password: secret };
}

function helperFailure(
  program: string,
  serverUrl: string,
  error: ExecFileException,
  output: string,
  timeoutMs: number,
): CredentialError {
  if (error.code === 'ENOENT') {
    return new CredentialError('CREDENTIAL_HELPER_FAILED', `${program} was not found on PATH`);
  }
  if (error.killed === true || error.signal === 'SIGTERM') {
    return new CredentialError(
      'CREDENTIAL_HELPER_FAILED',
      `${program} did not answer for ${serverUrl} within ${timeoutMs} ms`,
    );
  }
  // A failing helper prints its error message, not credentials; it is shortened for the log.
  const firstLine = output.trim().split('\n')[0]?.slice(0, 200) ?? '';
  const detail = firstLine === '' ? '' : `: ${firstLine}`;
  return new CredentialError('CREDENTIAL_HELPER_FAILED', `${program} failed for ${serverUrl}${detail}`);
}

/** JSON.parse errors quote the input, which may be a secret. */
function describeWithoutDetails(error: unknown): string {
  return error instanceof Error ? error.name : 'parse error';
}
