import type { ConfigProblem } from './config.js';
import type { Env } from './option-spec.js';

/** One raw value and the name it came from, before the option's schema has read it. */
export interface RawSetting {
  readonly source: string;
  readonly raw: string;
}

export interface EnvReader {
  /**
   * The variable's value, or with `withFile` the content of the file `<name>_FILE` names.
   * An empty variable counts as unset, as an empty line in an env file usually means "not set".
   */
  read(name: string, withFile: boolean): RawSetting | undefined;
}

function describeReadFailure(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string'
    ? `cannot read the file it names (${code})`
    : 'cannot read the file it names';
}

function isWatchtowerName(name: string): boolean {
  return name.startsWith('WATCHTOWER_') || name === 'REPO_PASS' || name === 'REPO_USER';
}

/** The file's content without its final newline, or undefined when it is not a readable file. */
function tryRead(readFile: (path: string) => string, path: string): string | undefined {
  try {
    const content = readFile(path).replace(/\r?\n$/, '');
    return content === '' ? undefined : content;
  } catch {
    return undefined;
  }
}

export function createEnvReader(
  env: Env,
  readFile: (path: string) => string,
  problems: ConfigProblem[],
): EnvReader {
  return {
    read(name, withFile) {
      const direct = env[name];
      const fileName = `${name}_FILE`;
      const path = withFile ? env[fileName] : undefined;
      const hasDirect = direct !== undefined && direct !== '';
      const hasPath = path !== undefined && path !== '';
      if (hasDirect && hasPath) {
        problems.push({ source: fileName, message: `cannot be set together with ${name}; set only one` });
        return undefined;
      }
      if (hasDirect) {
        // Watchtower reads a secret from the file its value names, when it names one; its
        // variables keep that meaning here. refit's own variables use <NAME>_FILE instead.
        if (withFile && isWatchtowerName(name) && direct.startsWith('/')) {
          const fromFile = tryRead(readFile, direct);
          if (fromFile !== undefined) return { source: name, raw: fromFile };
        }
        return { source: name, raw: direct };
      }
      if (!hasPath) return undefined;

      let content: string;
      try {
        content = readFile(path);
      } catch (error) {
        problems.push({ source: fileName, message: describeReadFailure(error) });
        return undefined;
      }
      // Files written by editors and `echo` end with a newline that is not part of the secret.
      const value = content.replace(/\r?\n$/, '');
      if (value === '') {
        problems.push({ source: fileName, message: 'the file it names is empty' });
        return undefined;
      }
      return { source: fileName, raw: value };
    },
  };
}
