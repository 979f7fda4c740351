/** Entry point of the `layerlens` binary. */
import { runCli } from './main';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`error: internal error: ${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);
