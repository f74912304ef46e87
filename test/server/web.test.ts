// The web page end to end in real Chromium: type a prompt, watch progress, the video plays;
// then remix and delete from the gallery.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../_chromium.ts';
import { type Stack, startStack } from './helpers.ts';

let stack: Stack;
let browser: Browser;
before(async () => {
  stack = await startStack({ workers: 1 });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await stack?.close();
});

test('type a prompt, watch progress, the video plays; remix and delete', { timeout: 90_000 }, async () => {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(stack.url);
  await page.fill('#api-key', stack.apiKey);
  await page.dispatchEvent('#api-key', 'change');
  await page.fill('#prompt', 'a red ball bounces on grass');
  await page.selectOption('#size', '320x180');
  await page.selectOption('#seconds', '2');
  await page.click('#generate');

  const card = page.locator('article.video').first();
  await card.locator('.status').waitFor();
  assert.match((await card.locator('.status').textContent())!, /queued|in_progress|completed/);
  await page.waitForSelector('article.video[data-status="completed"] video', { timeout: 60_000 });
  // Playing: the element has decoded frames and its clock advances.
  await page.waitForFunction(
    () => {
      const v = document.querySelector('article.video video') as HTMLVideoElement | null;
      return v !== null && v.readyState >= 2 && v.videoWidth === 320 && v.currentTime > 0;
    },
    undefined,
    { timeout: 20_000 },
  );
  assert.equal(
    await card.locator('.download').getAttribute('download'),
    `${await card.getAttribute('data-id')}.mp4`,
  );
  // The provenance badge shows the signed manifest.
  const badge = card.locator('.provenance[data-state="signed"]');
  await badge.waitFor({ timeout: 20_000 });
  assert.match((await badge.textContent())!, /C2PA signed/);
  // The prompt as the model read it: expanded into a detailed caption of the same scene.
  await card.locator('.model-prompt summary').click();
  assert.match((await card.locator('.model-prompt p').textContent())!, /ball.*\. .*grass/i);

  page.once('dialog', (d) => d.accept('a blue star spins'));
  await card.locator('.remix').click();
  await page.waitForFunction(() => document.querySelectorAll('article.video').length === 2);
  await page.waitForSelector('article.video[data-status="completed"] >> nth=1', { timeout: 60_000 });

  const firstId = await page.locator('article.video').last().getAttribute('data-id');
  await page.locator(`article.video[data-id="${firstId}"] .delete`).click();
  await page.waitForFunction(() => document.querySelectorAll('article.video').length === 1);
  assert.equal(await stack.options.queue.get(firstId!), undefined);
  assert.deepEqual(errors, []);
});
