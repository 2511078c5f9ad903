import { reportError } from './exit-codes.ts';
import { buildProgram } from './program.ts';

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  // `--json` asks for machine-readable output: errors too (with the API's details).
  process.exit(reportError(error, process.argv.includes('--json')));
}
