// `kinema world ...`: sample clips, export training shards, list the vocabulary.
import type { Command } from 'commander';

export function registerWorldCommands(program: Command): void {
  program.command('world').description('the captioned-video world: sample, export, vocab');
}
