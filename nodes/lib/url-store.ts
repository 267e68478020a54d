import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/**
 * Results kept for a while under unguessable names, so that speakers (Sonos,
 * Cast, Home Assistant) can fetch them by URL. Bounded by bytes and by time:
 * a busy flow never makes it grow without limit.
 */
export class UrlStore {
  private readonly items: LRUCache<string, Buffer>;

  constructor(maxBytes = 32 * 1024 * 1024) {
    this.items = new LRUCache<string, Buffer>({
      maxSize: maxBytes,
      sizeCalculation: (b) => Math.max(1, b.length),
      ttlAutopurge: false,
      allowStale: false,
    });
  }

  /** Keeps `wav` for `ttlMs` and returns its token (32 hex characters), or undefined when it is too large. */
  put(wav: Buffer, ttlMs: number): string | undefined {
    if (wav.length > this.items.maxSize) return undefined;
    const token = randomBytes(16).toString('hex');
    this.items.set(token, wav, { ttl: ttlMs });
    return token;
  }

  get(token: string): Buffer | undefined {
    return /^[0-9a-f]{32}$/.test(token) ? this.items.get(token) : undefined;
  }

  get size(): number {
    return this.items.calculatedSize;
  }
}

export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Reads a `Range: bytes=...` header for one range (what players send).
 * Returns undefined for no range, 'unsatisfiable' for a range outside the data.
 */
export function parseRange(header: string | undefined, length: number): ByteRange | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined; // several ranges or garbage: send it all
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, length - Number(m[2]));
    end = length - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? length - 1 : Math.min(Number(m[2]), length - 1);
  }
  if (start >= length || start > end) return 'unsatisfiable';
  return { start, end };
}
