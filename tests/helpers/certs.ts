/** Test certificates made with the openssl CLI at test time (Debian has it everywhere the tests run). */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Makes a CA and a server certificate signed by it in `dir`, valid for `san` (an openssl subjectAltName value:
 * clients match host names and IPs against it, not the CN). Returns the paths of the server's key and certificate
 * and of the CA (the server sends only its own certificate).
 */
export async function makeCertificates(dir: string, san = 'IP:127.0.0.1'): Promise<{ key: string; cert: string; ca: string }> {
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Tusk Test CA');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=tusk-test-server');
  await writeFile(join(dir, 'san.ext'), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext');
  return { key: join(dir, 'server.key'), cert: join(dir, 'server.pem'), ca: join(dir, 'ca.pem') };
}
