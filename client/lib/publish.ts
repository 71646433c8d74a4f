/** `POST /api/publish` from the browser. */

/** Publishes `data` to `topic`; resolves with the id the server assigned, rejects with its error. */
export async function publish(baseUrl: string, topic: string, data: unknown): Promise<number> {
  const response = await fetch(`${baseUrl}/api/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ topic, data }),
  });
  const text = await response.text();
  if (response.status !== 202) {
    let message = text;
    try {
      message = (JSON.parse(text) as { error?: string }).error ?? text;
    } catch {
      // Not JSON (a proxy's error page): show the text as it is.
    }
    throw new Error(`publish failed (${response.status}): ${message}`);
  }
  return (JSON.parse(text) as { id: number }).id;
}

/** UTF-8 length of `text`: what a body of that text weighed on the wire before compression. */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code < 0xdc00) {
      bytes += 4; // a surrogate pair: one 4-byte character
      i++;
    } else bytes += 3;
  }
  return bytes;
}
