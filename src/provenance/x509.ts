// A minimal X.509 v3 certificate writer (DER), enough for Kinema's local signing identity:
// node:crypto creates and uses keys but cannot issue certificates, and shelling out to openssl
// would tie setup to one more binary. Only ECDSA P-256 with SHA-256 is supported.
import { createHash, type KeyObject, randomBytes, sign } from 'node:crypto';

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectKeyId: '2.5.29.14',
  authorityKeyId: '2.5.29.35',
  emailProtection: '1.3.6.1.5.5.7.3.4',
} as const;

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const sequence = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
const octets = (body: Buffer) => tlv(0x04, body);
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const explicit = (n: number, body: Buffer) => tlv(0xa0 + n, body);

function integer(bytes: Buffer): Buffer {
  let body = bytes;
  while (body.length > 1 && body[0] === 0 && body[1]! < 0x80) body = body.subarray(1);
  if (body[0]! >= 0x80) body = Buffer.concat([Buffer.from([0]), body]);
  return tlv(0x02, body);
}

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes = [a! * 40 + b!];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let v = arc >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function bitString(body: Buffer, unusedBits = 0): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), body]));
}

function generalizedTime(date: Date): Buffer {
  const s = date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return tlv(0x18, Buffer.from(`${s}Z`, 'ascii'));
}

function name(commonName: string, organization: string): Buffer {
  return sequence(
    set(sequence(oid(OID.organization), utf8(organization))),
    set(sequence(oid(OID.commonName), utf8(commonName))),
  );
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [bool(true)] : []), octets(value));
}

/** SHA-1 of the subject public key bits (RFC 5280 method 1), used as key identifiers. */
function keyId(publicKey: KeyObject): Buffer {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  // The BIT STRING is the last element of the SPKI sequence: for P-256 its 65 key bytes end the DER.
  return createHash('sha1')
    .update(spki.subarray(spki.length - 65))
    .digest();
}

export interface CertificateRequest {
  subject: { commonName: string; organization: string };
  issuer: { commonName: string; organization: string };
  publicKey: KeyObject;
  /** The issuer's private key (the subject's own for a self-signed root). */
  signingKey: KeyObject;
  issuerPublicKey: KeyObject;
  isCA: boolean;
  validDays: number;
}

/** Issues a certificate; returns it as PEM. CA certs may sign certs; leaf certs sign C2PA claims. */
export function issueCertificate(req: CertificateRequest): string {
  // Backdated an hour so that signing right after issuing, or on a slightly slow clock, is valid.
  const notBefore = new Date(Date.now() - 3_600_000);
  const notAfter = new Date(notBefore.getTime() + req.validDays * 86_400_000);
  const sigAlg = sequence(oid(OID.ecdsaWithSha256));
  // keyUsage bits: digitalSignature = bit 0 (0x80); keyCertSign = bit 5 (0x04), cRLSign = bit 6 (0x02).
  const keyUsage = req.isCA ? bitString(Buffer.from([0x06]), 1) : bitString(Buffer.from([0x80]), 7);
  const extensions = [
    extension(OID.basicConstraints, true, req.isCA ? sequence(bool(true)) : sequence()),
    extension(OID.keyUsage, true, keyUsage),
    ...(req.isCA ? [] : [extension(OID.extKeyUsage, false, sequence(oid(OID.emailProtection)))]),
    extension(OID.subjectKeyId, false, octets(keyId(req.publicKey))),
    extension(OID.authorityKeyId, false, sequence(tlv(0x80, keyId(req.issuerPublicKey)))),
  ];
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(randomBytes(16)),
    sigAlg,
    name(req.issuer.commonName, req.issuer.organization),
    sequence(generalizedTime(notBefore), generalizedTime(notAfter)),
    name(req.subject.commonName, req.subject.organization),
    req.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...extensions)),
  );
  const signature = sign('sha256', tbs, req.signingKey);
  const der = sequence(tbs, sigAlg, bitString(signature));
  const base64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${base64.trim()}\n-----END CERTIFICATE-----\n`;
}
