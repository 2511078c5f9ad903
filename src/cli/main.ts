import { reportError } from './exit-codes.ts';
import { buildProgram } from './program.ts';

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  process.exit(reportError(error));
}
