#!/usr/bin/env node
/**
 * The kubectl plugin: installed on PATH as `kubectl-restore_hooks` (package.json "bin"), it makes
 * `kubectl restore-hooks status -n velero r2` run `restore-hooks status -n velero r2`. kubectl hands a plugin the
 * arguments after its name and its own environment (KUBECONFIG), not its global flags.
 */
import { main } from './cli.ts';

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
