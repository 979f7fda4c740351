/** Entry point of the `layerlens` binary. */
import { runCli } from './main';

// `layerlens … | head`: a reader that stops early is not an error (no stack trace, the usual exit status).
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`error: internal error: ${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);
