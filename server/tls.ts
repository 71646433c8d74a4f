/**
 * TLS credentials for `--tls`: a self-signed certificate for `localhost` and `127.0.0.1`,
 * made in memory at start (nothing written to disk), or a certificate and key read from files.
 */
import { readFile } from 'node:fs/promises';

/** A certificate chain and its private key, both PEM. */
export interface TlsCredentials {
  readonly cert: string;
  readonly key: string;
}

/** Days a generated certificate is valid. Default 7: long enough for a lab, short enough to be obviously throwaway. */
export const selfSignedDays = 7;

/**
 * Makes a self-signed certificate for `localhost`, `127.0.0.1` and `::1` (an EC P-256 key:
 * generated in milliseconds where RSA-2048 takes about a second). Browsers will warn about it
 * (no CA vouches for it); tests and the benchmark accept it with `rejectUnauthorized: false`.
 */
export async function createSelfSignedCredentials(): Promise<TlsCredentials> {
  // Loaded here, not at start: its crypto stack costs every plaintext server start otherwise.
  const { generate } = await import('selfsigned');
  const now = Date.now();
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    // A minute back, so a client whose clock is slightly behind does not see "not yet valid".
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: new Date(now + selfSignedDays * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** Reads `certPath` and `keyPath` (PEM); throws an error that names the file that could not be read. */
export async function readCredentials(certPath: string, keyPath: string): Promise<TlsCredentials> {
  const read = (path: string, what: string): Promise<string> =>
    readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new Error(`cannot read the TLS ${what} ${path}: ${error.code ?? error.message}`);
    });
  const [cert, key] = await Promise.all([read(certPath, 'certificate'), read(keyPath, 'key')]);
  if (!cert.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`${certPath} is not a PEM certificate`);
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key)) throw new Error(`${keyPath} is not a PEM private key`);
  return { cert, key };
}
