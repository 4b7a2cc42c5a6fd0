import { createSecureContext } from 'node:tls';
import { CtdoctorError } from '../core/errors.js';
import { readRequiredFile } from '../host/fileRead.js';
import type { HttpSecurity } from './httpServer.js';

export interface HttpSecurityFiles {
  tokenFile?: string | undefined;
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
}

/** The file's one line, as `echo "$TOKEN" > FILE` or a Kubernetes secret leaves it (a trailing newline). */
async function readToken(path: string): Promise<string> {
  const token = (await readRequiredFile(path, '--token-file')).toString('utf8').trim();
  if (!/^[\x21-\x7e]+$/.test(token))
    throw new CtdoctorError(
      'usage',
      `--token-file ${path}: ${token === '' ? 'the file is empty' : 'the token has spaces or non-ASCII characters'}: write one line of printable ASCII (e.g. openssl rand -hex 32 > ${path})`,
    );
  return token;
}

/** Both files read and tried together now, so a bad pair is one line at start, not a failed handshake later. */
async function readTls(certPath: string, keyPath: string): Promise<{ cert: Buffer; key: Buffer }> {
  const [cert, key] = await Promise.all([
    readRequiredFile(certPath, '--tls-cert'),
    readRequiredFile(keyPath, '--tls-key'),
  ]);
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new CtdoctorError(
      'usage',
      `--tls-cert ${certPath} --tls-key ${keyPath}: not a PEM certificate and its private key (${(error as Error).message})`,
      { cause: error },
    );
  }
  return { cert, key };
}

/** The token and the certificate `serve` was given, read once at start (a rotation needs a restart). */
export async function readHttpSecurity(files: HttpSecurityFiles): Promise<HttpSecurity> {
  if ((files.tlsCert === undefined) !== (files.tlsKey === undefined))
    throw new CtdoctorError('usage', 'HTTPS needs both --tls-cert FILE and --tls-key FILE');
  return {
    token: files.tokenFile === undefined ? undefined : await readToken(files.tokenFile),
    tls:
      files.tlsCert === undefined || files.tlsKey === undefined
        ? undefined
        : await readTls(files.tlsCert, files.tlsKey),
  };
}
