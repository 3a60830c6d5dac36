export { startPgliteTcpServer } from '../../shared/db/pglite-tcp-server.ts';
