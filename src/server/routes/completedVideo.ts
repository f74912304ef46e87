// The record of a completed video, for routes that serve what it produced (content, provenance):
// 404 for an unknown or malformed id, 409 while it is not completed yet.
import type { AppOptions } from '../context.ts';
import { ApiError, notFound } from '../errors.ts';
import { isId } from '../ids.ts';
import type { VideoRecord } from '../video.ts';

export async function completedVideo(
  options: AppOptions,
  id: string,
  what: string,
): Promise<VideoRecord & { result: NonNullable<VideoRecord['result']> }> {
  if (!isId('video', id)) throw notFound('video');
  const record = await options.queue.get(id);
  if (!record) throw notFound(`video ${id}`);
  if (record.status !== 'completed' || !record.result) {
    throw new ApiError(
      409,
      `video ${id} is ${record.status}; ${what} is available once it is completed`,
      'invalid_request_error',
      'video_not_ready',
      null,
      { 'x-should-retry': 'false' },
    );
  }
  return record as VideoRecord & { result: NonNullable<VideoRecord['result']> };
}
