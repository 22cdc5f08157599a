// Runs inside the second engine's network namespace: listens on a unix socket (reachable from the host's
// namespace, since the filesystem is shared) and connects each client to 127.0.0.1:PORT in this namespace.
import net from 'node:net';
import { rmSync } from 'node:fs';

const [socketPath, port] = process.argv.slice(2);
rmSync(socketPath, { force: true });
net
  .createServer((client) => {
    const up = net.connect(Number(port), '127.0.0.1');
    client.pipe(up).pipe(client);
    const end = () => {
      client.destroy();
      up.destroy();
    };
    client.on('error', end);
    up.on('error', end);
  })
  .listen(socketPath);
