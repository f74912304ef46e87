// The `kinema` command. Each stage registers its own subcommands; errors that users cause
// (bad prompts, bad files, bad options) print one clear line and exit 2, bugs exit 1.
import { Command, CommanderError } from 'commander';
import { ZodError } from 'zod';
import { registerEditCommands } from './edit.ts';
import { registerEvalCommands } from './eval.ts';
import { registerGenerateCommands } from './generate.ts';
import { registerMediaCommands } from './media.ts';
import { registerServeCommands } from './serve.ts';
import { registerTrainCommands } from './train.ts';
import { registerVerifyCommands } from './verify.ts';
import { registerWeightsCommands } from './weights.ts';
import { registerWorldCommands } from './world.ts';

export const VERSION = '0.1.0';

export function buildProgram(): Command {
  const program = new Command('kinema')
    .description('Open text-to-video: generate, edit, train, evaluate and serve video models on a CPU.')
    .version(VERSION)
    .showHelpAfterError();
  registerGenerateCommands(program);
  registerEditCommands(program);
  registerWorldCommands(program);
  registerEvalCommands(program);
  registerMediaCommands(program);
  registerTrainCommands(program);
  registerWeightsCommands(program);
  registerServeCommands(program);
  registerVerifyCommands(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    if (err instanceof ZodError) {
      // Options validated with zod inside a command: name the option, not a JSON dump.
      const issue = err.issues[0]!;
      process.stderr.write(`kinema: invalid option --${issue.path.join('.')}: ${issue.message}\n`);
      process.exit(2);
    }
    const e = err instanceof Error ? err : new Error(String(err));
    const typed = e.name !== 'Error';
    process.stderr.write(`kinema: ${typed ? `${e.name}: ` : ''}${e.message}\n`);
    if (process.env.KINEMA_DEBUG) process.stderr.write(`${e.stack}\n`);
    process.exit(typed ? 2 : 1);
  }
}

await main(process.argv);
