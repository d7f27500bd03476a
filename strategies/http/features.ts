import { secondaryFeature } from '../../src/coverage/features.js';
import type { HttpResponse } from './response.js';

/**
 * Secondary features of a delivery: which statuses and response headers the server
 * produced, and whether it spoke HTTP/2. They keep an input that reached a new state of
 * the server (a 206, a Content-Range, a 416...) although it made no new syscall.
 */

/** a header name longer than this is cut: a server echoing fuzzed names must not flood the coverage map */
export const MAX_HEADER_NAME = 48;

export function responseFeatures(responses: readonly HttpResponse[], h2: boolean): string[] {
  const features = new Set<string>();
  for (const response of responses) {
    features.add(secondaryFeature('status', response.status));
    for (const [name] of response.headers) features.add(secondaryFeature('header', name.toLowerCase().slice(0, MAX_HEADER_NAME)));
  }
  if (h2) features.add(secondaryFeature('proto', 'h2'));
  return [...features].sort();
}
