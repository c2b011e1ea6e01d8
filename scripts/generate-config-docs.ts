/**
 * Writes docs/configuration.md from the option table (`npm run docs`). The text is run through
 * prettier so the generated file passes `prettier --check` as it stands; the docs drift test
 * calls `buildConfigurationDoc` to compare.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { renderConfigurationDoc } from '../src/config/render-docs.js';

export const CONFIGURATION_DOC_PATH = fileURLToPath(new URL('../docs/configuration.md', import.meta.url));

export async function buildConfigurationDoc(): Promise<string> {
  const options = (await resolveConfig(CONFIGURATION_DOC_PATH)) ?? {};
  return format(renderConfigurationDoc(), { ...options, filepath: CONFIGURATION_DOC_PATH });
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  writeFileSync(CONFIGURATION_DOC_PATH, await buildConfigurationDoc());
  process.stdout.write(`wrote ${CONFIGURATION_DOC_PATH}\n`);
}
