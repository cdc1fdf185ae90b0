/**
 * The benchmark's servers, in their own process so they do not share an event loop with the client being measured.
 * Prints one JSON line `{ discard, discardSha256, discardSha256NoVerify, tusNode, tusNodeDir }` (creation URLs) and runs until stdin closes.
 */
import { startDiscardServer } from '../tests/servers/discard';
import { startTusNodeServer } from '../tests/servers/tus-node';

const discard = await startDiscardServer();
const discardSha256 = await startDiscardServer({ checksum: 'sha256' });
const discardSha256NoVerify = await startDiscardServer({ checksum: 'sha256', verifyChecksum: false });
const tusNode = await startTusNodeServer();
process.stdout.write(JSON.stringify({ discard: discard.endpoint, discardSha256: discardSha256.endpoint, discardSha256NoVerify: discardSha256NoVerify.endpoint, tusNode: tusNode.endpoint, tusNodeDir: tusNode.dir }) + '\n');

const shutdown = async (): Promise<void> => {
  await Promise.all([discard.close(), discardSha256.close(), discardSha256NoVerify.close(), tusNode.close()]);
  process.exit(0);
};
process.stdin.on('end', () => void shutdown());
process.stdin.on('close', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
process.stdin.resume();
