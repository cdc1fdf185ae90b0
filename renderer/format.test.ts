import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatDuration,
  formatEta,
  formatPercent,
  formatSpeed,
  formatTime,
  parseBandwidth,
  progressFraction,
  secondsUntil,
} from './format';

describe('formatBytes', () => {
  it('uses bytes below 1 KB', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1)).toBe('1 B');
    expect(formatBytes(1023)).toBe('1023 B');
  });
  it('uses binary units with at most one decimal below 10', () => {
    expect(formatBytes(1024)).toBe('1 KB');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(10 * 1024)).toBe('10 KB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5 GB');
    expect(formatBytes(123.4 * 1024 ** 2)).toBe('123 MB');
  });
  it('carries rounding into the next unit instead of showing 1024', () => {
    expect(formatBytes(1024 * 1024 - 1)).toBe('1 MB');
  });
  it('rejects nonsense', () => {
    expect(formatBytes(-1)).toBe('—');
    expect(formatBytes(Number.NaN)).toBe('—');
    expect(formatBytes(Number.POSITIVE_INFINITY)).toBe('—');
  });
  it('caps at PB', () => {
    expect(formatBytes(3 * 1024 ** 6)).toBe('3072 PB');
  });
});

describe('formatSpeed', () => {
  it('adds /s and shows a dash when idle', () => {
    expect(formatSpeed(2.5 * 1024 * 1024)).toBe('2.5 MB/s');
    expect(formatSpeed(0)).toBe('—');
    expect(formatSpeed(-5)).toBe('—');
  });
});

describe('formatDuration and formatEta', () => {
  it('formats seconds, minutes, hours and days', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(0.2)).toBe('<1s');
    expect(formatDuration(44.6)).toBe('45s');
    expect(formatDuration(185)).toBe('3m 05s');
    expect(formatDuration(2 * 3600 + 7 * 60)).toBe('2h 07m');
    expect(formatDuration(3 * 86_400 + 4 * 3600 + 59)).toBe('3d 4h');
  });
  it('shows a dash when unknown', () => {
    expect(formatDuration(undefined)).toBe('—');
    expect(formatEta(undefined)).toBe('—');
    expect(formatEta(Number.NaN)).toBe('—');
    expect(formatEta(-1)).toBe('—');
  });
  it('says "left" and refuses absurd promises', () => {
    expect(formatEta(65)).toBe('1m 05s left');
    expect(formatEta(40 * 86_400)).toBe('more than a month');
  });
});

describe('progress', () => {
  it('clamps to 0..1 and treats completed empty files as done', () => {
    expect(progressFraction(50, 100)).toBe(0.5);
    expect(progressFraction(150, 100)).toBe(1);
    expect(progressFraction(0, 0)).toBe(0);
    expect(progressFraction(0, 0, true)).toBe(1);
  });
  it('never shows 100% before completion', () => {
    expect(formatPercent(0.999999)).toBe('99.9%');
    expect(formatPercent(1, true)).toBe('100%');
    expect(formatPercent(0.0512)).toBe('5.1%');
    expect(formatPercent(0.456)).toBe('45%');
  });
});

describe('formatTime and secondsUntil', () => {
  it('formats local time with zero padding', () => {
    const ms = new Date(2024, 0, 2, 3, 4, 5).getTime();
    expect(formatTime(ms)).toBe('2024-01-02 03:04:05');
    expect(formatTime(undefined)).toBe('—');
  });
  it('counts down in whole seconds and stops at zero', () => {
    expect(secondsUntil(10_500, 10_000)).toBe(1);
    expect(secondsUntil(13_000, 10_000)).toBe(3);
    expect(secondsUntil(9_000, 10_000)).toBe(0);
  });
});

describe('parseBandwidth', () => {
  it('reads units, case-insensitively, with optional /s', () => {
    expect(parseBandwidth('500k')).toBe(500 * 1024);
    expect(parseBandwidth('2.5 MB')).toBe(2.5 * 1024 * 1024);
    expect(parseBandwidth('1 MiB/s')).toBe(1024 * 1024);
    expect(parseBandwidth('1g')).toBe(1024 ** 3);
    expect(parseBandwidth('300 B')).toBe(300);
  });
  it('reads unlimited', () => {
    expect(parseBandwidth('')).toBe(0);
    expect(parseBandwidth('0')).toBe(0);
    expect(parseBandwidth('Unlimited')).toBe(0);
  });
  it('refuses what it cannot read instead of guessing', () => {
    expect(parseBandwidth('500')).toBeUndefined();
    expect(parseBandwidth('fast')).toBeUndefined();
    expect(parseBandwidth('-1 MB')).toBeUndefined();
  });
});
