#!/usr/bin/env node
/**
 * The `repro` command line:
 *
 *   repro reproduce [--profile quick] [--workers N] [--print-jobs]
 *   repro bench [--json] [--batch 64] [--seconds 8]
 *   repro notebooks [--profile smoke] [--only 01]
 *   repro fmri --data DIR [--out FILE]
 *   repro job --kind K --params JSON [--out FILE]     (one job; what workers run)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { runBench } from './bench/bench';
import { runAnalyzeCommand } from './cli/analyze';
import { runFmriCommand } from './cli/fmri';
import { runNotebooks } from './cli/notebooks';
import { exitWithParent, phaseCommands, runJobInProcess, sendResultToParent, writeJobResult } from './stages/jobs';
import { getProfile, projectRoot } from './stages/profiles';
import { calibrationErrors, reproductionPhases, reproduce } from './stages/reproduce';

const USAGE = `usage:
  repro reproduce [--profile smoke|quick|paper] [--workers N] [--print-jobs]
  repro bench [--json] [--batch 64] [--seconds 8]
  repro notebooks [--profile smoke] [--only PREFIX]
  repro fmri --data DIR [--out FILE]   |   repro fmri --synthetic DIR [--seed N]
  repro analyze participation-ratio|cross-dimensionality|denoising|alignment|predictivity ...   (repro analyze --help)
  repro job --kind KIND --params JSON [--out FILE]`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'reproduce': {
      const { values } = parseArgs({ args: rest, options: { profile: { type: 'string', default: 'quick' }, workers: { type: 'string' }, 'print-jobs': { type: 'boolean', default: false } } });
      const profile = getProfile(values.profile);
      if (values['print-jobs']) {
        process.stdout.write(`${phaseCommands(reproductionPhases(profile))}\n`);
        process.stdout.write(`# then: repro reproduce --profile ${profile.name} (loads every result from the cache and draws the figures)\n`);
        return;
      }
      const manifest = await reproduce(profile, { workers: values.workers ? Number(values.workers) : undefined });
      const cores = JSON.parse(fs.readFileSync(path.join(projectRoot(), manifest.results[0]!), 'utf8')) as { index: number; testAccuracy: number; info: { imagesPerSec: number } }[];
      for (const c of cores) process.stdout.write(`core ${c.index}: clean test accuracy ${(100 * c.testAccuracy).toFixed(2)}%, trained at ${c.info.imagesPerSec.toFixed(0)} images/s\n`);
      const cal = JSON.parse(fs.readFileSync(path.join(projectRoot(), manifest.results[1]!), 'utf8')) as Parameters<typeof calibrationErrors>[0];
      const worst = calibrationErrors(cal).reduce((a, b) => (Math.abs(b.error) > Math.abs(a.error) ? b : a));
      process.stdout.write(`calibration: largest miss ${(100 * worst.error).toFixed(1)} points (${worst.type} level ${worst.level})\n`);
      process.stdout.write(`stages: ${manifest.stages.map((s) => `${s.name} ${s.seconds.toFixed(0)}s`).join(', ')}; wall ${manifest.wallSeconds.toFixed(0)}s\n`);
      process.stdout.write(`wrote ${path.join('data', 'runs', profile.name, 'manifest.json')} and ${manifest.figures.length} figures in figures/${profile.name}/\n`);
      return;
    }
    case 'bench': {
      const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean', default: false }, batch: { type: 'string', default: '64' }, seconds: { type: 'string', default: '8' } } });
      const result = await runBench({ batchSize: Number(values.batch), seconds: Number(values.seconds) });
      if (!values.json) {
        process.stdout.write(`backend ${result.backend}: train ${result.coreTrainImagesPerSec} images/s, inference ${result.coreInferImagesPerSec} images/s (batch ${result.batchSize}, ${result.threads} thread)\n`);
        if (result.torchTrainImagesPerSec) {
          process.stdout.write(`PyTorch ${result.torchVersion} CPU (${result.torchThreads} thread): train ${result.torchTrainImagesPerSec} images/s, inference ${result.torchInferImagesPerSec} images/s\n`);
          process.stdout.write(`ratio ours/torch: train ${result.trainRatioVsTorch}, inference ${result.inferRatioVsTorch}\n`);
        } else {
          process.stdout.write(`PyTorch peer not measured: ${result.torchError}\n`);
        }
      }
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    case 'notebooks': {
      const { values } = parseArgs({ args: rest, options: { profile: { type: 'string', default: 'smoke' }, only: { type: 'string' } } });
      getProfile(values.profile);
      runNotebooks(values.profile, values.only);
      return;
    }
    case 'fmri':
      await runFmriCommand(rest);
      return;
    case 'analyze':
      await runAnalyzeCommand(rest);
      return;
    case 'job': {
      const { values } = parseArgs({ args: rest, options: { kind: { type: 'string' }, params: { type: 'string', default: '{}' }, out: { type: 'string' } } });
      if (!values.kind) throw new Error('repro job: --kind is required');
      // Started by a parent run (IPC channel): end with it, and send the result back.
      if (process.send) exitWithParent();
      const result = await runJobInProcess({ id: values.kind, kind: values.kind, params: JSON.parse(values.params) as Record<string, unknown> });
      if (process.send) await sendResultToParent(result);
      else if (values.out) writeJobResult(values.out, result);
      else process.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    default:
      process.stderr.write(`${command ? `unknown command '${command}'\n` : ''}${USAGE}\n`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`repro: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
