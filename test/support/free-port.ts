import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/** A port nothing listens on now (the engine binds it when the container starts). */
export function freePort(kind: 'tcp' | 'udp'): Promise<number> {
  return new Promise((resolve, reject) => {
    if (kind === 'tcp') {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => {
          resolve(typeof address === 'object' && address !== null ? address.port : 0);
        });
      });
    } else {
      const socket = createSocket('udp4');
      socket.once('error', reject);
      socket.bind(0, () => {
        const port = socket.address().port;
        socket.close(() => {
          resolve(port);
        });
      });
    }
  });
}
