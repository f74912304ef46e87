// `kinema verify FILE [--json]`: reports a file's C2PA manifest, invisible and visible watermarks.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { formatVerifyReport, verifyFile } from '../provenance/verify.ts';

export function registerVerifyCommands(program: Command): void {
  program
    .command('verify')
    .description('check a file for Kinema provenance: C2PA manifest, invisible and visible watermarks')
    .argument('<file>', 'video or image to check')
    .option('--json', 'print the report as JSON')
    .option(
      '--trust-anchors <pem>',
      'PEM file of trusted root certificates (manifests they sign read as trusted)',
    )
    .option('--watermark-key <key>', 'invisible watermark key, if the operator set one')
    .action(async (file: string, opts: { json?: boolean; trustAnchors?: string; watermarkKey?: string }) => {
      const report = await verifyFile(file, {
        ...(opts.trustAnchors ? { trustAnchorsPem: readFileSync(opts.trustAnchors, 'utf8') } : {}),
        ...(opts.watermarkKey ? { watermarkKey: opts.watermarkKey } : {}),
      });
      process.stdout.write(`${opts.json ? JSON.stringify(report, null, 2) : formatVerifyReport(report)}\n`);
    });
}
