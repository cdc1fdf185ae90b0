// Writes Tusk's icons without any image tool: build/icon.png (512x512), build/icon.ico (PNG-in-ICO, 256 and 32),
// build/tray.png (32x32). A teal rounded square with a white tusk (a thick arc). Run: node build/make-icons.mjs
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
};

function render(size) {
  const rows = [];
  const s = size / 512;
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4);
    for (let x = 0; x < size; x++) {
      // 4x4 supersampling for smooth edges.
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < 4; sy++) for (let sx = 0; sx < 4; sx++) {
        const px = (x + (sx + 0.5) / 4) / s, py = (y + (sy + 0.5) / 4) / s;
        const dx = Math.max(Math.abs(px - 256) - 176, 0), dy = Math.max(Math.abs(py - 256) - 176, 0);
        const inSquare = Math.hypot(dx, dy) <= 64;
        if (!inSquare) continue;
        // The tusk: a ring segment around (300, 200), thick at the root, plus a round tip.
        const d = Math.hypot(px - 300, py - 190);
        const angle = Math.atan2(py - 190, px - 300);
        const t = (angle - 0.2) / 2.6; // 0 at the root (right), 1 at the tip (left)
        const half = 46 * (1 - Math.min(Math.max(t, 0), 1)) + 10;
        const onTusk = t >= 0 && t <= 1 && Math.abs(d - 150) <= half;
        if (onTusk) { r += 250; g += 248; b += 240; } else { r += 17 + py * 0.05; g += 140 - py * 0.08; b += 150 - py * 0.05; }
        a += 255;
      }
      const i = 1 + x * 4;
      row[i] = r / 16; row[i + 1] = g / 16; row[i + 2] = b / 16; row[i + 3] = a / 16;
    }
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; ihdr[9] = 6; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function ico(images) {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(images.length, 4);
  let offset = 6 + 16 * images.length;
  const entries = images.map(({ size, png }) => {
    const e = Buffer.alloc(16);
    e[0] = size >= 256 ? 0 : size; e[1] = size >= 256 ? 0 : size;
    e.writeUInt16LE(1, 4); e.writeUInt16LE(32, 6);
    e.writeUInt32LE(png.length, 8); e.writeUInt32LE(offset, 12);
    offset += png.length;
    return e;
  });
  return Buffer.concat([header, ...entries, ...images.map((i) => i.png)]);
}

const dir = new URL('.', import.meta.url);
const big = render(512);
writeFileSync(new URL('icon.png', dir), big);
writeFileSync(new URL('tray.png', dir), render(32));
writeFileSync(new URL('icon.ico', dir), ico([{ size: 256, png: render(256) }, { size: 32, png: render(32) }]));
console.log('wrote build/icon.png, build/tray.png, build/icon.ico');
