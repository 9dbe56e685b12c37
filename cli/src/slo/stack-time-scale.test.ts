import { describe, expect, it } from 'vitest';
import { stackTimeScale } from './stack-time-scale.js';

describe('stackTimeScale', () => {
  it('real time changes nothing', () => {
    expect(stackTimeScale({})).toEqual({ scale: 1, services: {}, observatory: {} });
  });

  it('a scale lowers the services metric export interval (not below 1 s) and tells the observatory', () => {
    expect(stackTimeScale({ GLASSBOX_SLO_TIME_SCALE: '60' })).toEqual({
      scale: 60,
      services: { OTEL_METRIC_EXPORT_INTERVAL: '1000' },
      observatory: { GLASSBOX_SLO_TIME_SCALE: '60' },
    });
    expect(stackTimeScale({ GLASSBOX_SLO_TIME_SCALE: '5' }).services).toEqual({
      OTEL_METRIC_EXPORT_INTERVAL: '3000',
    });
    expect(
      stackTimeScale({ GLASSBOX_SLO_TIME_SCALE: '60', OTEL_METRIC_EXPORT_INTERVAL: '500' }).services,
    ).toEqual({});
  });

  it('refuses a bad scale with the variable named', () => {
    expect(() => stackTimeScale({ GLASSBOX_SLO_TIME_SCALE: 'fast' })).toThrow(
      'GLASSBOX_SLO_TIME_SCALE: expected a number from 1 to 3600, got "fast"',
    );
  });
});
