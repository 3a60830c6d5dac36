/**
 * The OpenTelemetry service name of this process: OTEL_SERVICE_NAME when set, else `grokcat`, or
 * `grokcat-<services>` for `grokcat start --services enricher` (one service per process), so each
 * service shows apart in a trace. Read from argv because telemetry starts before the CLI parses it.
 */
export function serviceNameOf(env: NodeJS.ProcessEnv, argv: readonly string[]): string {
  if (env.OTEL_SERVICE_NAME) return env.OTEL_SERVICE_NAME;
  const start = argv.indexOf('start');
  if (start === -1) return 'grokcat';
  const flag = argv.findIndex(
    (arg, i) => i > start && (arg === '--services' || arg.startsWith('--services=')),
  );
  if (flag === -1) return 'grokcat';
  const arg = argv[flag] as string;
  const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[flag + 1];
  const names = (value ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => /^[a-z]+$/.test(name));
  return names.length > 0 ? `grokcat-${names.join('+')}` : 'grokcat';
}
