import { describe, expect, it } from 'vitest';
import {
  formatAgo,
  formatAttributeValue,
  formatBytes,
  formatDropped,
  formatDurationMs,
  formatNumber,
  formatPercent,
  formatRatePerSec,
  formatWithUnit,
  plural,
  severityLevel,
} from './format.js';

describe('formatDurationMs', () => {
  it('picks a unit to suit the size', () => {
    expect(formatDurationMs(0)).toBe('0 ms');
    expect(formatDurationMs(0.0042)).toBe('4.2 µs');
    expect(formatDurationMs(0.42)).toBe('420 µs');
    expect(formatDurationMs(1.234)).toBe('1.23 ms');
    expect(formatDurationMs(12.34)).toBe('12.3 ms');
    expect(formatDurationMs(250)).toBe('250 ms');
    expect(formatDurationMs(1530)).toBe('1.53 s');
    expect(formatDurationMs(12_500)).toBe('12.5 s');
    expect(formatDurationMs(95_000)).toBe('1m 35s');
    expect(formatDurationMs(2 * 3_600_000 + 5 * 60_000)).toBe('2h 5m');
  });

  it('shows a dash for missing values', () => {
    expect(formatDurationMs(null)).toBe('—');
    expect(formatDurationMs(undefined)).toBe('—');
    expect(formatDurationMs(Number.NaN)).toBe('—');
  });
});

describe('numbers, rates, ratios, bytes', () => {
  it('formats compact numbers', () => {
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(0.004217)).toBe('0.0042');
    expect(formatNumber(7.12345)).toBe('7.12');
    expect(formatNumber(42.25)).toBe('42.3');
    expect(formatNumber(950)).toBe('950');
    expect(formatNumber(12_345)).toBe('12.3k');
    expect(formatNumber(3_400_000)).toBe('3.4M');
  });

  it('formats rates per second', () => {
    expect(formatRatePerSec(0)).toBe('0/s');
    expect(formatRatePerSec(0.05)).toBe('3/min');
    expect(formatRatePerSec(0.0017)).toBe('0.1/min');
    expect(formatRatePerSec(0.25)).toBe('0.25/s');
    expect(formatRatePerSec(12.5)).toBe('12.5/s');
    expect(formatRatePerSec(null)).toBe('—');
  });

  it('formats ratios as percentages', () => {
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(0.00001)).toBe('<0.01%');
    expect(formatPercent(0.0123)).toBe('1.23%');
    expect(formatPercent(0.5)).toBe('50%');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(null)).toBe('—');
  });

  it('formats bytes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(256 * 1024 * 1024)).toBe('256 MiB');
  });

  it('formats metric values by their unit', () => {
    expect(formatWithUnit(0.25, 's')).toBe('250 ms');
    expect(formatWithUnit(2048, 'By')).toBe('2 KiB');
    expect(formatWithUnit(12, '{request}')).toBe('12 request');
    expect(formatWithUnit(7, '1')).toBe('7');
  });
});

describe('labels', () => {
  it('names severities by the OpenTelemetry ranges', () => {
    expect(severityLevel(1)).toBe('TRACE');
    expect(severityLevel(5)).toBe('DEBUG');
    expect(severityLevel(9)).toBe('INFO');
    expect(severityLevel(12)).toBe('INFO');
    expect(severityLevel(13)).toBe('WARN');
    expect(severityLevel(17)).toBe('ERROR');
    expect(severityLevel(21)).toBe('FATAL');
    expect(severityLevel(0, 'notice')).toBe('NOTICE');
  });

  it('formats attribute values and ages', () => {
    expect(formatAttributeValue('GET')).toBe('GET');
    expect(formatAttributeValue(200)).toBe('200');
    expect(formatAttributeValue(true)).toBe('true');
    expect(formatAttributeValue(['a', 1])).toBe('["a",1]');
    expect(plural(1, 'span')).toBe('1 span');
    expect(plural(1531, 'span')).toBe('1531 spans');
    expect(plural(0, 'entry', 'entries')).toBe('0 entries');
    expect(formatAgo(1_000, 13_000)).toBe('12s ago');
    expect(formatAgo(0, 5 * 60_000)).toBe('5m ago');
  });
});

describe('formatDropped', () => {
  it('names only what was dropped', () => {
    expect(formatDropped({ attributes: 0, events: 0, links: 0 })).toBe('');
    expect(formatDropped({ attributes: 3, events: 1, links: 0 })).toBe('3 attributes, 1 event');
    expect(formatDropped({ attributes: 0, links: 2 })).toBe('2 links');
  });
});
