// The signing identity for C2PA manifests. Operators configure their own certificate chain and
// key; without them Kinema creates a local identity on first use: a self-signed root CA and a
// leaf signing certificate under it (C2PA validators refuse self-signed leaf certificates and need
// digitalSignature key usage plus an extended key usage such as emailProtection on the leaf).
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { issueCertificate } from './x509.ts';

export const identityConfigSchema = z.object({
  /** PEM chain: signing certificate first, then intermediates (the root may be left out). */
  certificatePath: z.string().min(1).optional(),
  /** PEM (PKCS#8) private key of the signing certificate. */
  privateKeyPath: z.string().min(1).optional(),
  /** Where the local identity lives when no certificate is configured. */
  localDir: z.string().min(1).optional(),
  /** PEM trust anchors that make manifests read as Trusted (default: the local root, if any). */
  trustAnchorsPath: z.string().min(1).optional(),
});
export type IdentityConfig = z.infer<typeof identityConfigSchema>;

export interface SigningIdentity {
  certificateChainPem: string;
  privateKeyPem: string;
  /** PEM trust anchors for reading our own outputs as Trusted; empty when none are known. */
  trustAnchorsPem: string;
  /** True for the auto-created local identity (not trusted by anyone else). */
  local: boolean;
  /** True only on the call that created the local identity, so callers can say so once. */
  created: boolean;
}

export class IdentityError extends Error {
  static readonly userError = true;
  override name = 'IdentityError';
}

export function defaultIdentityDir(): string {
  return join(homedir(), '.kinema', 'identity');
}

/** Loads the configured identity, or the local one (creating it if absent). */
export function loadIdentity(config: IdentityConfig = {}): SigningIdentity {
  const parsed = identityConfigSchema.parse(config);
  if (parsed.certificatePath || parsed.privateKeyPath) {
    if (!parsed.certificatePath || !parsed.privateKeyPath) {
      throw new IdentityError('configure both certificatePath and privateKeyPath, or neither');
    }
    return {
      certificateChainPem: readPem(parsed.certificatePath, 'certificate'),
      privateKeyPem: readPem(parsed.privateKeyPath, 'private key'),
      trustAnchorsPem: parsed.trustAnchorsPath ? readPem(parsed.trustAnchorsPath, 'trust anchors') : '',
      local: false,
      created: false,
    };
  }
  return loadOrCreateLocalIdentity(parsed.localDir ?? defaultIdentityDir());
}

function readPem(path: string, what: string): string {
  if (!existsSync(path)) throw new IdentityError(`${what} file not found: ${path}`);
  const text = readFileSync(path, 'utf8');
  if (!text.includes('-----BEGIN')) throw new IdentityError(`${what} file is not PEM: ${path}`);
  return text;
}

const FILES = { chain: 'signer-chain.pem', key: 'signer-key.pem', root: 'root-ca.pem' } as const;

function loadOrCreateLocalIdentity(dir: string): SigningIdentity {
  const paths = { chain: join(dir, FILES.chain), key: join(dir, FILES.key), root: join(dir, FILES.root) };
  let created = false;
  if (!existsSync(paths.chain) || !existsSync(paths.key) || !existsSync(paths.root)) {
    createLocalIdentity(paths);
    created = true;
  }
  return {
    certificateChainPem: readFileSync(paths.chain, 'utf8'),
    privateKeyPem: readFileSync(paths.key, 'utf8'),
    trustAnchorsPem: readFileSync(paths.root, 'utf8'),
    local: true,
    created,
  };
}

function createLocalIdentity(paths: { chain: string; key: string; root: string }): void {
  mkdirSync(join(paths.chain, '..'), { recursive: true, mode: 0o700 });
  const root = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rootName = { commonName: 'Kinema Local Root CA', organization: 'Kinema (local, untrusted)' };
  const rootPem = issueCertificate({
    subject: rootName,
    issuer: rootName,
    publicKey: root.publicKey,
    signingKey: root.privateKey,
    issuerPublicKey: root.publicKey,
    isCA: true,
    validDays: 3650,
  });
  const signerPem = issueCertificate({
    subject: { commonName: 'Kinema Local Signer', organization: 'Kinema (local, untrusted)' },
    issuer: rootName,
    publicKey: signer.publicKey,
    signingKey: root.privateKey,
    issuerPublicKey: root.publicKey,
    isCA: false,
    validDays: 3650,
  });
  // The root's private key is not kept: nothing else should ever be issued under it.
  writeFileSync(paths.key, signer.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(paths.chain, signerPem + rootPem);
  writeFileSync(paths.root, rootPem);
}
