// Uploaded media, checked by content (never by name or declared type): reference images must be
// PNG, JPEG or WebP; source videos MP4/MOV/WebM/MKV/GIF. Data URLs are decoded here; remote URLs
// are refused, so the server never fetches what a client points it at.
import { IMAGE_FORMATS, type MediaFormat, sniffBytes } from '../media/sniff.ts';
import { invalidRequest, payloadTooLarge } from './errors.ts';

export interface CheckedUpload {
  bytes: Uint8Array;
  format: MediaFormat;
}

const VIDEO_FORMATS: ReadonlySet<MediaFormat> = new Set(['mp4', 'mov', 'webm', 'mkv', 'gif']);
const DATA_URL = /^data:([a-z]+\/[a-z0-9.+-]+)?(;[a-z0-9=-]+)*;base64,([A-Za-z0-9+/=\s]*)$/i;

function check(
  bytes: Uint8Array,
  allowed: ReadonlySet<MediaFormat>,
  maxBytes: number,
  param: string,
  what: string,
) {
  if (bytes.length === 0)
    throw invalidRequest(`${param}: the uploaded ${what} is empty`, param, 'invalid_file');
  if (bytes.length > maxBytes)
    throw payloadTooLarge(`${param}: the ${what} is larger than ${maxBytes} bytes`, param);
  const format = sniffBytes(bytes.subarray(0, 64));
  if (!format || !allowed.has(format)) {
    throw invalidRequest(
      `${param}: the uploaded file is not ${what === 'image' ? 'a PNG, JPEG or WebP image' : 'a video (MP4, MOV, WebM, MKV or GIF)'}`,
      param,
      'invalid_file_format',
    );
  }
  return { bytes, format };
}

export async function checkImageFile(file: File, maxBytes: number, param: string): Promise<CheckedUpload> {
  if (file.size > maxBytes)
    throw payloadTooLarge(`${param}: the image is larger than ${maxBytes} bytes`, param);
  return check(new Uint8Array(await file.arrayBuffer()), IMAGE_FORMATS, maxBytes, param, 'image');
}

export async function checkVideoFile(file: File, maxBytes: number, param: string): Promise<CheckedUpload> {
  if (file.size > maxBytes)
    throw payloadTooLarge(`${param}: the video is larger than ${maxBytes} bytes`, param);
  return check(new Uint8Array(await file.arrayBuffer()), VIDEO_FORMATS, maxBytes, param, 'video');
}

export function checkImageUrl(url: string, maxBytes: number, param: string): CheckedUpload {
  const m = DATA_URL.exec(url);
  if (!m) {
    throw invalidRequest(
      `${param}: only base64 data URLs are accepted (data:image/png;base64,...); the server does not fetch remote URLs`,
      param,
      'unsupported_value',
    );
  }
  const bytes = new Uint8Array(Buffer.from(m[3]!, 'base64'));
  return check(bytes, IMAGE_FORMATS, maxBytes, param, 'image');
}
