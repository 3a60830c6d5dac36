import { createServer, type Server } from 'node:http';

/**
 * A small in-memory stand-in for a Confluent Schema Registry on 127.0.0.1, speaking the part of its
 * REST API that @kafkajs/confluent-schema-registry uses: register a schema under a subject, read a
 * schema by id, and subject compatibility config.
 */
export async function startSchemaRegistry(): Promise<{
  url: string;
  register(subject: string, schema: string): number;
  stop(): Promise<void>;
}> {
  const schemas: string[] = [];
  const config = new Map<string, string>();
  const register = (_subject: string, schema: string) => {
    const existing = schemas.indexOf(schema);
    if (existing !== -1) return existing + 1;
    schemas.push(schema);
    return schemas.length;
  };
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const reply = (status: number, value: unknown) => {
        response.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
        response.end(JSON.stringify(value));
      };
      const url = new URL(request.url ?? '/', 'http://registry');
      const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      if (parts[0] === 'config' && parts[1]) {
        if (request.method === 'PUT') {
          const { compatibility } = JSON.parse(body) as { compatibility: string };
          config.set(parts[1], compatibility);
          return reply(200, { compatibility });
        }
        const level = config.get(parts[1]);
        return level
          ? reply(200, { compatibilityLevel: level })
          : reply(404, { error_code: 40408, message: 'no config' });
      }
      if (parts[0] === 'subjects' && parts[2] === 'versions' && request.method === 'POST') {
        const { schema } = JSON.parse(body) as { schema: string };
        return reply(200, { id: register(parts[1] ?? '', schema) });
      }
      if (parts[0] === 'schemas' && parts[1] === 'ids') {
        const schema = schemas[Number(parts[2]) - 1];
        return schema
          ? reply(200, { schema })
          : reply(404, { error_code: 40403, message: 'Schema not found' });
      }
      reply(404, { error_code: 404, message: `no route ${request.method} ${url.pathname}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    register,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
