/**
 *   sequence-lab export RUN_DIR --format tfjs|safetensors --out DIR [--force] [--json]
 * Writes a run's latest checkpoint (or the checkpoint folder given) as a model other tools load.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { EXPORT_FORMATS, exportCheckpoint, type ExportFormat } from '../core/export/exportCheckpoint';
import { UsageError } from './usageError';

export function exportCommand(args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { format: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' } },
  });
  if (positionals.length !== 1) throw new UsageError('export needs one run folder (or checkpoint folder).');
  const format = values.format as ExportFormat;
  if (!EXPORT_FORMATS.includes(format)) throw new UsageError(`--format must be ${EXPORT_FORMATS.join(' or ')}.`);
  if (!values.out) throw new UsageError('--out DIR names the folder to write.');
  const result = exportCheckpoint(path.resolve(positionals[0]), { format, outDir: values.out, overwrite: !!values.force });
  if (values.json) process.stdout.write(JSON.stringify(result) + '\n');
  else process.stdout.write(`Exported the checkpoint at step ${result.step} to ${result.outDir}: ${result.files.join(', ')}\n`);
  return 0;
}
