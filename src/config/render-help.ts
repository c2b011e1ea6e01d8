import {
  aliasEntries,
  FILE_SENTENCE,
  optionsByGroup,
  PRECEDENCE_SENTENCE,
  switchFlagTexts,
  USAGE,
  valueFlagsText,
} from './describe-option.js';
import { fileEnvNames, formerNamesText, mainFlag, type AnyOption } from './option-spec.js';
import { OPTIONS } from './options.js';
import { ACCEPTED_SETTINGS } from './watchtower-notes.js';

const WIDTH = 100;
const FLAG_INDENT = '  ';
const TEXT_INDENT = '      ';

/** Word-wraps `text` to WIDTH columns, every line starting with `indent`. */
function wrap(text: string, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && indent.length + line.length + 1 + word.length > WIDTH) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(indent + line);
  return lines;
}

function describeOption(option: AnyOption): string[] {
  const sources = [`env ${option.env}`];
  const aliases = aliasEntries(option).map(({ env, whenTrue }) =>
    whenTrue === undefined ? env : `${env}=true (${whenTrue})`,
  );
  if (aliases.length > 0) sources.push(`alias ${aliases.join(', ')}`);
  const files = fileEnvNames(option);
  if (files.length > 0) sources.push(`or from a file: ${files.join(', ')}`);
  sources.push(`default ${option.defaultText}`);
  const former = formerNamesText(option);
  if (former.length > 0) sources.push(`formerly ${former.join(', ')}`);

  const lines = [
    FLAG_INDENT + valueFlagsText(option),
    ...wrap(option.doc, TEXT_INDENT),
    ...wrap(`${sources.join('; ')}.`, TEXT_INDENT),
  ];
  for (const switchFlag of switchFlagTexts(option)) {
    lines.push(FLAG_INDENT + switchFlag.flags.join(', '));
    lines.push(`${TEXT_INDENT}Same as ${mainFlag(option)} ${switchFlag.value}.`);
  }
  return lines;
}

/** `refit --help`, rendered from the option table. */
export function renderHelp(): string {
  const lines = [
    `Usage: ${USAGE}`,
    '',
    ...wrap(
      'Keeps the containers on a Docker host running their newest image. Container names limit refit to those ' +
        'containers; without any, every running container is watched. Every option can be set by a flag or an ' +
        'environment variable, and Watchtower variables work too.',
      '',
    ),
    '',
    ...wrap(PRECEDENCE_SENTENCE, ''),
    '',
    ...wrap(FILE_SENTENCE, ''),
  ];
  for (const group of optionsByGroup(OPTIONS)) {
    lines.push('', `${group.title}:`);
    for (const option of group.options) lines.push(...describeOption(option));
  }
  const accepted = ACCEPTED_SETTINGS.flatMap((setting) => setting.flags);
  lines.push(
    '',
    'Accepted from Watchtower without effect (each logs one warning saying what refit does instead):',
    ...wrap(accepted.join(', '), FLAG_INDENT),
    '',
    'Other:',
    `${FLAG_INDENT}--health-check`,
    `${TEXT_INDENT}Ask the running refit's /healthz and exit 0 when it is healthy, 1 otherwise, as a`,
    `${TEXT_INDENT}container healthcheck command (Watchtower's flag). Uses the settings given beside it, or`,
    `${TEXT_INDENT}else those of the refit in the same container.`,
    `${FLAG_INDENT}--help, -h`,
    `${TEXT_INDENT}Print this help and exit.`,
    `${FLAG_INDENT}--version`,
    `${TEXT_INDENT}Print refit's version and exit.`,
    '',
  );
  return lines.join('\n');
}
