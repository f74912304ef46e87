// Runs that start from trained weights: a decoder fine-tune on a frozen encoder's latents (new
// blocks as the identity, packed back under the same encoder and DiT), a shipped DiT moved onto
// another autoencoder with more latent channels, and a DiT grown deeper by identity blocks.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureJax } from '../../src/engine/jax.ts';
import { loadModel, saveModel } from '../../src/models/bundle.ts';
import { ditParamSpec } from '../../src/models/dit.ts';
import { initParams } from '../../src/nn/init.ts';
import { toHostParams } from '../../src/nn/params.ts';
import { VideoPipeline } from '../../src/pipeline/generate.ts';
import { loadCheckpoint } from '../../src/train/checkpoint.ts';
import { parseTrainConfig } from '../../src/train/config.ts';
import { packBundle } from '../../src/train/pack.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { TINY_REQUEST, tinyModel } from '../pipeline/_tinyModel.ts';

test('decoder stage: warm start from a model without the new blocks, train, pack over the model', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kinema-decoder-'));
  try {
    // A model from before spacetime decoder blocks existed.
    const model = await tinyModel(5);
    model.preset = {
      ...model.preset,
      autoencoder: { ...model.preset.autoencoder, decoderSpacetimeBlocks: 0 },
    };
    for (const name of Object.keys(model.autoencoder))
      if (name.startsWith('decoder.spacetime.')) delete model.autoencoder[name];
    const modelPath = join(dir, 'model.safetensors');
    await saveModel(modelPath, model, 'F32');

    const out = join(dir, 'run');
    const config = parseTrainConfig({
      stage: 'decoder',
      preset: 'tiny',
      steps: 12,
      out,
      lr: 1e-2,
      warmupSteps: 2,
      initFrom: modelPath,
    });
    const trainer = await Trainer.create(config);
    const start = trainer.checkpoint();
    assert.ok(
      Object.keys(start.params).every((k) => k.startsWith('decoder.')),
      'only the decoder trains',
    );
    assert.deepEqual(start.params['decoder.out.weight']!.data, model.autoencoder['decoder.out.weight']!.data);
    assert.ok(
      start.params['decoder.spacetime.0.fc2.weight']!.data.every((v) => v === 0),
      'new block = identity',
    );
    while (trainer.currentStep < 12) await trainer.log(await trainer.trainStep());
    await trainer.save();
    await trainer.dispose();
    const log = (await readFile(join(out, 'log.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(log.at(-1).loss < log[0].loss, `loss ${log[0].loss} → ${log.at(-1).loss}`);

    const packed = packBundle({
      base: await loadModel(modelPath),
      decoder: await loadCheckpoint(join(out, 'checkpoint.safetensors')),
    });
    assert.equal(packed.preset.autoencoder.decoderSpacetimeBlocks, 1);
    assert.deepEqual(
      packed.autoencoder['encoder.in.weight']!.data,
      model.autoencoder['encoder.in.weight']!.data,
    );
    assert.deepEqual(packed.dit, (await loadModel(modelPath)).dit);
    assert.notDeepEqual(
      packed.autoencoder['decoder.out.weight']!.data,
      model.autoencoder['decoder.out.weight']!.data,
    );
    assert.equal(packed.card.decoderSteps, 12);
    // A whole autoencoder packed over it brings its own decoder: the card forgets the fine-tune.
    const wholeAutoencoder = {
      stage: 'autoencoder' as const,
      step: 30,
      config: { preset: 'tiny' },
      params: (await tinyModel(6)).autoencoder,
    };
    const repacked = packBundle({ base: packed, autoencoder: wholeAutoencoder });
    assert.equal(repacked.card.autoencoderSteps, 30);
    assert.equal(repacked.card.decoderSteps, undefined);
    assert.throws(() => packBundle({ decoder: start }), /needs a base model/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('dit stage: a shipped DiT moves onto an autoencoder with more latent channels', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kinema-dit-move-'));
  try {
    await ensureJax();
    // The shipped model's DiT reads 2 latent channels; the tiny preset's autoencoder makes 4.
    const model = await tinyModel(8);
    const narrow = { ...model.preset.dit, latentChannels: 2 };
    model.dit = await toHostParams(initParams(ditParamSpec(narrow), 9));
    model.preset = { ...model.preset, dit: narrow };
    const modelPath = join(dir, 'model.safetensors');
    await saveModel(modelPath, model, 'F32');
    const aeRun = join(dir, 'ae');
    const ae = await Trainer.create(
      parseTrainConfig({ stage: 'autoencoder', preset: 'tiny', steps: 1, out: aeRun }),
    );
    await ae.trainStep();
    await ae.save();
    await ae.dispose();
    const aeCheckpoint = await loadCheckpoint(join(aeRun, 'checkpoint.safetensors'));

    const trainer = await Trainer.create(
      parseTrainConfig({
        stage: 'dit',
        preset: 'tiny',
        steps: 4,
        out: join(dir, 'dit'),
        initFrom: modelPath,
        autoencoder: join(aeRun, 'checkpoint.safetensors'),
      }),
    );
    const start = trainer.checkpoint();
    assert.equal(start.step, 0, 'a new schedule');
    assert.deepEqual(
      start.params['blocks.0.attn.qkv.weight']!.data,
      model.dit['blocks.0.attn.qkv.weight']!.data,
    );
    assert.notEqual(start.params['patchEmbed.weight']!.shape[0], model.dit['patchEmbed.weight']!.shape[0]);
    assert.deepEqual(JSON.parse(start.extra!.tokenizer!), JSON.parse(JSON.stringify(model.tokenizer)));
    const report = await trainer.trainStep();
    assert.ok(Number.isFinite(report.loss));
    await trainer.dispose();
    // The old DiT cannot be packed with the new autoencoder: it reads other latents.
    assert.throws(
      () => packBundle({ base: model, autoencoder: aeCheckpoint }),
      /makes 4 latent channels but the DiT reads 2/,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('dit stage, --fresh-dit: a new DiT on a model’s autoencoder, tokenizer, latent scale and caption encoder', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kinema-dit-fresh-'));
  try {
    const model = { ...(await tinyModel(11)), latentScale: 0.5 };
    const modelPath = join(dir, 'model.safetensors');
    await saveModel(modelPath, model, 'F32');
    const options = { stage: 'dit', preset: 'tiny', steps: 3, out: join(dir, 'dit'), initFrom: modelPath };
    assert.throws(
      () =>
        parseTrainConfig({ ...options, initFrom: undefined, autoencoder: 'ae.safetensors', freshDit: true }),
      /--fresh-dit .* needs --stage dit and --init-from MODEL/,
    );
    const trainer = await Trainer.create(parseTrainConfig({ ...options, freshDit: true }));
    const start = trainer.checkpoint();
    assert.equal(start.step, 0, 'a new schedule');
    assert.equal(start.extra!.latentScale, '0.5', "the model's latent scale, not a new measurement");
    assert.deepEqual(JSON.parse(start.extra!.tokenizer!), JSON.parse(JSON.stringify(model.tokenizer)));
    for (const name of Object.keys(model.dit).filter((n) => n.startsWith('text.')))
      assert.deepEqual(start.params[name]!.data, model.dit[name]!.data, name);
    assert.notDeepEqual(
      start.params['blocks.0.attn.qkv.weight']!.data,
      model.dit['blocks.0.attn.qkv.weight']!.data,
      'the DiT itself starts fresh',
    );
    assert.ok(Number.isFinite((await trainer.trainStep()).loss));
    await trainer.dispose();

    // A model with a wider DiT: continuing it as a tiny DiT is refused, a fresh tiny DiT on it is not.
    const wider = { ...model.preset.dit, width: 48 };
    await saveModel(
      modelPath,
      {
        ...model,
        preset: { ...model.preset, dit: wider },
        dit: await toHostParams(initParams(ditParamSpec(wider), 13)),
      },
      'F32',
    );
    await assert.rejects(
      Trainer.create(parseTrainConfig({ ...options, out: join(dir, 'dit-wide') })),
      /DiT is not a tiny DiT .* --fresh-dit/,
    );
    const fresh = await Trainer.create(
      parseTrainConfig({ ...options, out: join(dir, 'dit-fresh'), freshDit: true }),
    );
    assert.deepEqual(fresh.checkpoint().params['blocks.0.attn.qkv.weight']!.shape, [32, 96]);
    await fresh.dispose();

    // A model whose caption encoder has another shape cannot lend it.
    const deeper = { ...model.preset.dit, text: { ...model.preset.dit.text, depth: 2 } };
    const other = {
      ...model,
      preset: { ...model.preset, dit: deeper },
      dit: await toHostParams(initParams(ditParamSpec(deeper), 12)),
    };
    await saveModel(modelPath, other, 'F32');
    await assert.rejects(
      Trainer.create(parseTrainConfig({ ...options, out: join(dir, 'dit2'), freshDit: true })),
      /preset tiny's caption encoder .* is not kinema-tiny-test's/,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a deeper preset grows a model: its blocks kept, the new ones identities, the same videos at the start', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kinema-grow-'));
  try {
    // A one-block model (the tiny preset has two), continued as a tiny DiT.
    const full = await tinyModel(3, { captionMatters: true });
    const oneBlock = {
      ...full,
      preset: { ...full.preset, dit: { ...full.preset.dit, depth: 1 } },
      dit: Object.fromEntries(Object.entries(full.dit).filter(([name]) => !name.startsWith('blocks.1.'))),
      card: { ditSteps: 40 },
    };
    const modelPath = join(dir, 'model.safetensors');
    await saveModel(modelPath, oneBlock, 'F32');
    const options = { stage: 'dit', preset: 'tiny', steps: 50, initFrom: modelPath } as const;
    const trainer = await Trainer.create(parseTrainConfig({ ...options, out: join(dir, 'grown') }));
    const grown = trainer.checkpoint();
    await trainer.dispose();
    assert.equal(grown.step, 40, "the model's schedule goes on");
    assert.deepEqual(
      grown.params['blocks.0.attn.qkv.weight']!.data,
      oneBlock.dit['blocks.0.attn.qkv.weight']!.data,
    );
    assert.ok(
      grown.params['blocks.1.adaLN.weight']!.data.every((v) => v === 0),
      'the new block is gated shut',
    );

    const model = await loadModel(modelPath);
    const packed = packBundle({ base: model, dit: grown });
    assert.equal(packed.preset.dit.depth, 2);
    const before = VideoPipeline.fromModel(model);
    const after = VideoPipeline.fromModel(packed);
    const a = await before.generate(TINY_REQUEST);
    const b = await after.generate(TINY_REQUEST);
    await before.dispose();
    await after.dispose();
    let worst = 0;
    for (let i = 0; i < a.pixels.length; i++) worst = Math.max(worst, Math.abs(a.pixels[i]! - b.pixels[i]!));
    assert.ok(worst <= 1, `the grown model's frames differ by up to ${worst}`);

    // The other way, a model deeper than the preset, would drop blocks: refused.
    const threeBlocks = { ...full.preset.dit, depth: 3 };
    await saveModel(
      modelPath,
      {
        ...full,
        preset: { ...full.preset, dit: threeBlocks },
        dit: await toHostParams(initParams(ditParamSpec(threeBlocks), 4)),
      },
      'F32',
    );
    await assert.rejects(
      Trainer.create(parseTrainConfig({ ...options, out: join(dir, 'shrunk') })),
      /DiT is not a tiny DiT \(the preset has no "blocks\.2\..*"\).*a deeper one/,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
