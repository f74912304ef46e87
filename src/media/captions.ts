// Where training captions come from: a folder of videos with sidecar .txt files (clip.mp4 +
// clip.txt), an Open-Sora-style CSV with `path` and `text` columns, or JSONL lines
// {"path": ..., "text": ...} (text may be a list of paraphrases). Relative paths are relative to
// the list file. Videos with no caption are returned separately so they can be reported.
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { UnsupportedMediaError } from './errors.ts';

export interface CaptionedVideo {
  path: string;
  captions: string[];
}

export interface CaptionListing {
  videos: CaptionedVideo[];
  /** Videos found without any caption. */
  uncaptioned: string[];
}

const VIDEO_EXTENSIONS = new Set(['.mp4', '.m4v', '.mov', '.webm', '.mkv', '.avi', '.gif']);

/** Parses RFC 4180 CSV (quoted fields may hold commas, quotes as "", and newlines). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows.filter((r) => r.some((f) => f !== ''));
}

function cleanCaptions(text: unknown): string[] {
  const list = Array.isArray(text) ? text : [text];
  return list
    .filter((t): t is string => typeof t === 'string')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

function split(entries: { path: string; text: unknown }[], base: string): CaptionListing {
  const listing: CaptionListing = { videos: [], uncaptioned: [] };
  for (const { path, text } of entries) {
    const full = resolve(base, path);
    const captions = cleanCaptions(text);
    if (captions.length === 0) listing.uncaptioned.push(full);
    else listing.videos.push({ path: full, captions });
  }
  return listing;
}

async function fromCsv(file: string): Promise<CaptionListing> {
  const [header, ...rows] = parseCsv(await readFile(file, 'utf8'));
  const pathColumn = header?.indexOf('path') ?? -1;
  const textColumn = header?.indexOf('text') ?? -1;
  if (pathColumn < 0 || textColumn < 0)
    throw new UnsupportedMediaError(`${file}: CSV needs a header with "path" and "text" columns`);
  return split(
    rows.map((r) => ({ path: r[pathColumn] ?? '', text: r[textColumn] })),
    dirname(file),
  );
}

async function fromJsonl(file: string): Promise<CaptionListing> {
  const lines = (await readFile(file, 'utf8')).split('\n');
  const entries = lines.flatMap((line, i) => {
    if (line.trim() === '') return [];
    let entry: { path?: unknown; text?: unknown };
    try {
      entry = JSON.parse(line);
    } catch {
      throw new UnsupportedMediaError(`${file}:${i + 1}: not valid JSON`);
    }
    if (typeof entry.path !== 'string')
      throw new UnsupportedMediaError(`${file}:${i + 1}: needs a "path" string`);
    return [{ path: entry.path, text: entry.text }];
  });
  return split(entries, dirname(file));
}

async function videosIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(async (e) => {
      const full = join(dir, e.name);
      if (e.isDirectory()) return videosIn(full);
      return e.isFile() && VIDEO_EXTENSIONS.has(extname(e.name).toLowerCase()) ? [full] : [];
    }),
  );
  return nested.flat().sort();
}

async function fromFolder(dir: string): Promise<CaptionListing> {
  const videos = await videosIn(dir);
  const entries = await Promise.all(
    videos.map(async (path) => {
      const sidecar = path.slice(0, -extname(path).length) + '.txt';
      const text = await readFile(sidecar, 'utf8').catch(() => undefined);
      return { path, text };
    }),
  );
  return split(entries, dir);
}

/** Lists the videos of a folder, CSV or JSONL source with their captions. */
export async function listCaptionedVideos(source: string): Promise<CaptionListing> {
  if ((await stat(source)).isDirectory()) return fromFolder(source);
  const ext = extname(source).toLowerCase();
  if (ext === '.csv') return fromCsv(source);
  if (ext === '.jsonl') return fromJsonl(source);
  throw new UnsupportedMediaError(
    `${source}: give a folder, a .csv (path,text) or a .jsonl ({"path","text"}) list`,
  );
}
