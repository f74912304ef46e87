// Serving an app on a real socket (node:http through @hono/node-server).
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import type { AppEnv } from './context.ts';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

const KEEP_ALIVE_MS = 65_000;

export function listen(app: Hono<AppEnv>, port: number, host = '127.0.0.1'): Promise<RunningServer> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port, hostname: host }, (info: AddressInfo) => {
      // Workers in this process hold the event loop for up to a few seconds at a time (a model
      // step, marking frames). With Node's 5 s keep-alive, a client reusing an idle connection just
      // as the overdue timer closes it gets ECONNRESET; proxies and SDK pools keep connections for
      // about a minute, so the server keeps them longer than that.
      if ('keepAliveTimeout' in server) {
        server.keepAliveTimeout = KEEP_ALIVE_MS;
        server.headersTimeout = KEEP_ALIVE_MS + 1000;
      }
      resolve({
        url: `http://${host.includes(':') ? `[${host}]` : host}:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // Idle keep-alive sockets would hold close() open.
            if ('closeAllConnections' in server) server.closeAllConnections();
          }),
      });
    });
  });
}
