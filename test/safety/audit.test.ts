import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AuditLog, AuditLogError } from '../../src/safety/audit.ts';

const base = {
  keyId: 'key_1',
  action: 'generate',
  promptSha256: 'ab'.repeat(32),
  reason: null,
  parentOutputId: null,
};

test('appends records and answers "did this system make this video?"', () => {
  const log = new AuditLog(join(mkdtempSync(join(tmpdir(), 'kinema-audit-')), 'audit.jsonl'));
  log.append({
    ...base,
    decision: 'allowed',
    category: null,
    outputId: 'video_1',
    watermarkPayload: 42,
    fileSha256: ['aa11'],
  });
  log.append({
    ...base,
    decision: 'refused',
    category: 'sexual',
    outputId: null,
    watermarkPayload: null,
    fileSha256: [],
  });
  log.append({
    ...base,
    decision: 'allowed',
    category: null,
    outputId: 'video_2',
    watermarkPayload: 7,
    fileSha256: ['bb22', 'cc33'],
  });
  assert.equal(log.records().length, 3);
  assert.deepEqual(
    log.findOutputs({ fileSha256: 'CC33' }).map((r) => r.outputId),
    ['video_2'],
  );
  assert.deepEqual(
    log.findOutputs({ watermarkPayload: 42 }).map((r) => r.outputId),
    ['video_1'],
  );
  assert.deepEqual(log.findOutputs({ fileSha256: 'ffff' }), []);
  assert.equal(readFileSync(log.path, 'utf8').trim().split('\n').length, 3, 'one JSON line per record');
});

test('a torn last line is skipped, corruption in the middle is an error', () => {
  const log = new AuditLog(join(mkdtempSync(join(tmpdir(), 'kinema-audit-')), 'audit.jsonl'));
  log.append({
    ...base,
    decision: 'allowed',
    category: null,
    outputId: 'video_1',
    watermarkPayload: 1,
    fileSha256: [],
  });
  appendFileSync(log.path, '{"time":"2026-');
  assert.equal(log.records().length, 1);
  appendFileSync(log.path, '\n');
  log.append({
    ...base,
    decision: 'allowed',
    category: null,
    outputId: 'video_2',
    watermarkPayload: 2,
    fileSha256: [],
  });
  assert.throws(() => log.records(), AuditLogError);
});
