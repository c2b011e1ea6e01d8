import { main } from './main.js';

// The process entry: everything else is in main() so tests can run it in-process.
process.exitCode = await main({
  argv: process.argv.slice(2),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  signals: process,
});
