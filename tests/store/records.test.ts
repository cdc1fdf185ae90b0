import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, decodeLine, encodeLine, splitLines } from '../../main/engine/store/records';

describe('checksummed lines', () => {
  it('round-trips a record and stays valid JSON', () => {
    const line = encodeLine({ s: 7, t: 'patchJob', id: 'j', d: { status: 'paused', name: 'ünïcødé ✓' } });
    expect(line.endsWith('\n')).toBe(true);
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed).toMatchObject({ s: 7, t: 'patchJob', id: 'j' });
    expect(parsed.k).toMatch(/^[0-9a-f]{8}$/);
    expect(decodeLine(Buffer.from(line.slice(0, -1)))).toEqual(parsed);
  });

  it('rejects any changed, cut or foreign line', () => {
    const line = encodeLine({ s: 1, t: 'putJob', d: { id: 'a', size: 10 } }).slice(0, -1);
    expect(decodeLine(Buffer.from(line.replace('"size":10', '"size":11')))).toBeUndefined();
    expect(decodeLine(Buffer.from(line.slice(0, -3)))).toBeUndefined();
    expect(decodeLine(Buffer.from('{"s":1,"t":"putJob"}'))).toBeUndefined();
    expect(decodeLine(Buffer.from(line.replace(/"k":"[0-9a-f]{8}"/, '"k":"zzzzzzzz"')))).toBeUndefined();
  });

  it('computes the same CRC32 as zlib', () => {
    expect(crc32('123456789')).toBe(0xcbf43926);
    const data = Buffer.from('hello, tusk');
    expect(crc32(data)).toBe(zlib.crc32(data));
    expect(crc32(Buffer.from('}'), crc32(Buffer.from('{"a":1')))).toBe(crc32('{"a":1}'));
  });

  it('splits lines, marking an unterminated last one', () => {
    const lines = Array.from(splitLines(Buffer.from('a\n\nbc\nde')));
    expect(lines.map((l) => [l.bytes.toString(), l.start, l.terminated])).toEqual([
      ['a', 0, true],
      ['bc', 3, true],
      ['de', 6, false],
    ]);
  });
});
