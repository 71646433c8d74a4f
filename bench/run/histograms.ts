/**
 * Latency histograms as text, as autocannon's workers pass theirs: HDR's compressed base64
 * encoding (`hdr-histogram-js`), lossless, so histograms recorded apart (a row's steps, load
 * processes, runs) can be stored in the results JSON and merged into the one histogram
 * recording every sample would have made.
 */
import { decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';
import { createLatencyHistogram } from './subscribers.ts';

/** The histogram (µs) in HDR's compressed base64 form. */
export function encodeHistogram(histogram: Histogram): string {
  return encodeIntoCompressedBase64(histogram);
}

/** A histogram back from `encodeHistogram`. */
export function decodeHistogram(encoded: string): Histogram {
  return decodeFromCompressedBase64(encoded);
}

/** One latency histogram holding every sample of the encoded ones. */
export function mergeHistograms(encoded: readonly string[]): Histogram {
  const merged = createLatencyHistogram();
  for (const text of encoded) {
    const part = decodeHistogram(text);
    merged.add(part);
    part.destroy();
  }
  return merged;
}
