import { describe, expect, it } from 'vitest';
import { readTelemetryEnv } from './env.js';
import { instrumentationsFor } from './index.js';

/**
 * The instrumentation package names the settings select (each instance unpatched again after the look). `http`
 * and `pg` select no package: they are the kit's own HTTP and database telemetry (http-telemetry.ts,
 * db-telemetry.ts; telemetry-switches.test.ts).
 */
function selected(env: NodeJS.ProcessEnv): string[] {
  const instrumentations = instrumentationsFor(readTelemetryEnv(env));
  for (const i of instrumentations) i.disable();
  return instrumentations.map((i) => i.instrumentationName.replace('@opentelemetry/instrumentation-', ''));
}

describe('which instrumentations are registered', () => {
  it("registers undici and pino by default, and selects the kit's HTTP and database telemetry", () => {
    expect(selected({})).toEqual(['undici', 'pino']);
    expect([...readTelemetryEnv({}).instrumentations]).toEqual(['http', 'undici', 'pg', 'pino']);
  });

  it('leaves out those OTEL_NODE_DISABLED_INSTRUMENTATIONS names, and warns about unknown names', () => {
    expect(selected({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'undici, PG' })).toEqual(['pino']);
    const settings = readTelemetryEnv({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'http,express' });
    expect([...settings.instrumentations]).toEqual(['undici', 'pg', 'pino']);
    expect(settings.warnings.join()).toContain('unknown instrumentation "express"');
  });

  it('registers only those OTEL_NODE_ENABLED_INSTRUMENTATIONS names, minus the disabled ones', () => {
    expect(selected({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'pg,undici' })).toEqual(['undici']);
    expect([
      ...readTelemetryEnv({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'pg,undici' }).instrumentations,
    ]).toEqual(['pg', 'undici']);
    expect(
      selected({
        OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'pg,undici',
        OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg',
      }),
    ).toEqual(['undici']);
    expect(selected({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'http,undici,pg,pino' })).toEqual([]);
  });
});
