import type { Logger } from '@glassbox/kit';
import { Redis } from 'ioredis';
import type { Admission, AdmissionEngine, Attempt, SaleCounters, SaleTerms } from '../domain/admission.js';
import { attemptKey } from '../domain/admission.js';
import { currentTrace, type PersistPurchases } from './purchase-persistence.js';
import { heldUnits, type NewPurchase, type PurchaseStore } from './purchase-store.js';

/** The stream every replica appends accepted purchases to; the persister moves them into PostgreSQL. */
export const ACCEPTED_STREAM = 'glassbox:flash-sale:accepted';
/** PostgreSQL's foreign_key_violation: a purchase of a sale this database does not have. */
const FOREIGN_KEY_VIOLATION = '23503';
const GROUP = 'persister';

/**
 * Keys of one sale; the `{saleId}` hash tag keeps them in one cluster slot. stock: units left; users: units per
 * user; keys: user+Idempotency-Key → "purchaseId:quantity"; purchases: purchaseId → JSON until persisted.
 */
function keys(saleId: string) {
  const tag = `glassbox:flash-sale:{${saleId}}`;
  return {
    stock: `${tag}:stock`,
    users: `${tag}:users`,
    keys: `${tag}:keys`,
    purchases: `${tag}:purchases`,
  };
}

/**
 * Admit: idempotent repeat, stock, per-user limit, take, remember, append to the stream — one atomic step.
 * Answers {outcome, purchaseId?}; UNLOADED when the sale's counters are not in Redis (then they are loaded from
 * PostgreSQL and the attempt retried).
 */
const ADMIT = `
local prior = redis.call('HGET', KEYS[3], ARGV[2])
if prior then return {'REPEAT', prior} end
local stock = redis.call('GET', KEYS[1])
if not stock then return {'UNLOADED'} end
local qty = tonumber(ARGV[3])
if tonumber(stock) < qty then return {'SOLD_OUT'} end
local used = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if used + qty > tonumber(ARGV[4]) then return {'LIMIT_REACHED'} end
redis.call('DECRBY', KEYS[1], qty)
redis.call('HINCRBY', KEYS[2], ARGV[1], qty)
redis.call('HSET', KEYS[3], ARGV[2], ARGV[5] .. ':' .. ARGV[3])
redis.call('HSET', KEYS[4], ARGV[5], ARGV[6])
redis.call('XADD', KEYS[5], '*', 'purchase', ARGV[6])
return {'ACCEPTED', ARGV[5]}
`;

/**
 * Load a sale's counters if absent: ARGV[1] when they expire (ms since epoch), ARGV[2] remaining, ARGV[3] how
 * many user/units pairs follow, the pairs, then key/value pairs of the Idempotency-Keys.
 */
const LOAD = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
local users = tonumber(ARGV[3])
local i = 4
for _ = 1, users do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  i = i + 2
end
while i <= #ARGV do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
  i = i + 2
end
for k = 1, 3 do redis.call('PEXPIREAT', KEYS[k], ARGV[1]) end
return 1
`;

/** Give units back: ARGV[1] user, ARGV[2] quantity. */
const RELEASE = `
redis.call('INCRBY', KEYS[1], ARGV[2])
redis.call('HINCRBY', KEYS[2], ARGV[1], -tonumber(ARGV[2]))
return 1
`;

interface RedisWithScripts extends Redis {
  flashAdmit(...args: (string | number)[]): Promise<string[]>;
  flashLoad(...args: (string | number)[]): Promise<number>;
  flashRelease(...args: (string | number)[]): Promise<number>;
}

export interface RedisAdmissionOptions {
  url: string;
  store: PurchaseStore;
  /** Writes purchases (and their events) to PostgreSQL. */
  persist: PersistPurchases;
  logger: Logger;
  /** This replica's name in the persister group: a restarted replica picks up what it read and did not ack. */
  consumer: string;
  /** Purchases read by another replica and not acked for this long are taken over (that replica died). */
  claimIdleMs?: number;
  /** Most purchases persisted in one statement. */
  batch?: number;
  /** The stream's key (default ACCEPTED_STREAM); one per deployment sharing a Redis (tests use their own). */
  stream?: string;
}

export interface RedisAdmission extends AdmissionEngine {
  /** Persists what the stream holds now (tests; the loop does it continuously). Resolves with how many. */
  persistNow(): Promise<number>;
  /** The accepted purchase not yet in PostgreSQL, if Redis still has it. */
  unpersisted(saleId: string, purchaseId: string): Promise<NewPurchase | undefined>;
}

function serialize(p: NewPurchase): string {
  return JSON.stringify({ ...p, acceptedAt: p.acceptedAt.toISOString() });
}

function deserialize(json: string): NewPurchase {
  const p = JSON.parse(json) as NewPurchase & { acceptedAt: string };
  return { ...p, acceptedAt: new Date(p.acceptedAt) };
}

/**
 * Connected mode: stock and per-user counts live in Redis and are decided by one Lua script, atomic across
 * replicas; an accepted purchase is appended to a Redis Stream in the same script (so it is as durable as Redis,
 * with AOF, before the 202), and a persister (consumer group, one consumer per replica) writes the stream into
 * PostgreSQL in batches. A sale whose counters are missing from Redis (first use, flushed Redis) is loaded from
 * its purchases in PostgreSQL.
 */
export function createRedisAdmission(options: RedisAdmissionOptions): RedisAdmission {
  const { store, logger } = options;
  const redis = new Redis(options.url, {
    maxRetriesPerRequest: 2,
    enableAutoPipelining: true,
  }) as RedisWithScripts;
  const reader = new Redis(options.url, { maxRetriesPerRequest: null }) as Redis;
  redis.defineCommand('flashAdmit', { numberOfKeys: 5, lua: ADMIT });
  redis.defineCommand('flashLoad', { numberOfKeys: 3, lua: LOAD });
  redis.defineCommand('flashRelease', { numberOfKeys: 2, lua: RELEASE });
  const batch = options.batch ?? 500;
  const STREAM = options.stream ?? ACCEPTED_STREAM;
  const claimIdleMs = options.claimIdleMs ?? 30_000;
  let stopping = false;
  let loop: Promise<void> | undefined;
  let backlog = 0;

  async function ensureGroup(): Promise<void> {
    try {
      await redis.xgroup('CREATE', STREAM, GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!String(error).includes('BUSYGROUP')) throw error;
    }
  }
  const group = ensureGroup();

  async function load(sale: SaleTerms): Promise<void> {
    const rows = await store.ofSale(sale);
    const { sold, perUser } = heldUnits(rows);
    const k = keys(sale.id);
    // A day after the sale the counters leave Redis (a late read loads them again from PostgreSQL).
    const expireAt = Math.max(sale.endsAt.getTime(), Date.now()) + 86_400_000;
    const args: (string | number)[] = [expireAt, sale.quantity - sold, perUser.size];
    for (const [user, units] of perUser) args.push(user, units);
    for (const r of rows) args.push(attemptKey(r.userId, r.idempotencyKey), `${r.id}:${r.quantity}`);
    await redis.flashLoad(k.stock, k.users, k.keys, ...args);
  }

  type Entry = [id: string, fields: string[]];

  async function persist(entries: Entry[]): Promise<number> {
    if (entries.length === 0) return 0;
    const purchases = entries.flatMap(([, fields]) => {
      const at = fields.indexOf('purchase');
      return at >= 0 && fields[at + 1] ? [deserialize(fields[at + 1] as string)] : [];
    });
    try {
      await options.persist(purchases);
    } catch (error) {
      if ((error as { code?: string }).code !== FOREIGN_KEY_VIOLATION) throw error;
      // One purchase names a sale this database does not have: write the others one by one, log and drop it
      // (it can never be written; retrying it forever would stall every sale behind it).
      for (const p of purchases) {
        try {
          await options.persist([p]);
        } catch (single) {
          if ((single as { code?: string }).code !== FOREIGN_KEY_VIOLATION) throw single;
          logger.error(
            { purchase_id: p.id, sale_id: p.saleId },
            'accepted purchase of an unknown sale dropped',
          );
        }
      }
    }
    await redis.xack(STREAM, GROUP, ...entries.map(([id]) => id));
    const cleanup = redis.pipeline();
    for (const p of purchases) cleanup.hdel(keys(p.saleId).purchases, p.id);
    await cleanup.exec();
    return purchases.length;
  }

  /** One round: this consumer's own unacked entries, then entries abandoned by others, then new ones. */
  async function round(block: boolean): Promise<number> {
    await group;
    const own = (await reader.xreadgroup(
      'GROUP',
      GROUP,
      options.consumer,
      'COUNT',
      batch,
      'STREAMS',
      STREAM,
      '0',
    )) as [string, Entry[]][] | null;
    let done = await persist(own?.[0]?.[1] ?? []);
    const claimed = (await reader.xautoclaim(
      STREAM,
      GROUP,
      options.consumer,
      claimIdleMs,
      '0-0',
      'COUNT',
      batch,
    )) as [string, Entry[]];
    done += await persist(claimed[1].filter((e) => e?.[1]));
    const fresh = (await (block
      ? reader.xreadgroup(
          'GROUP',
          GROUP,
          options.consumer,
          'COUNT',
          batch,
          'BLOCK',
          1000,
          'STREAMS',
          STREAM,
          '>',
        )
      : reader.xreadgroup('GROUP', GROUP, options.consumer, 'COUNT', batch, 'STREAMS', STREAM, '>'))) as
      | [string, Entry[]][]
      | null;
    done += await persist(fresh?.[0]?.[1] ?? []);
    return done;
  }

  async function run(): Promise<void> {
    while (!stopping) {
      try {
        await round(true);
        const info = (await redis.xpending(STREAM, GROUP)) as [number, ...unknown[]];
        backlog = Number(info[0]);
      } catch (error) {
        if (stopping) return;
        logger.warn({ err: error }, 'flash-sale persister round failed; retrying');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  return {
    mode: 'redis',
    async open(sale) {
      await load(sale);
      if (!loop) loop = run();
    },
    async admit(attempt: Attempt): Promise<Admission> {
      if (!loop) loop = run();
      const k = keys(attempt.sale.id);
      const purchase: NewPurchase = {
        id: attempt.purchaseId,
        tenantId: attempt.sale.tenantId,
        saleId: attempt.sale.id,
        userId: attempt.userId,
        idempotencyKey: attempt.idempotencyKey,
        quantity: attempt.quantity,
        payment: attempt.payment,
        acceptedAt: attempt.acceptedAt,
        trace: currentTrace(),
      };
      const call = () =>
        redis.flashAdmit(
          k.stock,
          k.users,
          k.keys,
          k.purchases,
          STREAM,
          attempt.userId,
          attemptKey(attempt.userId, attempt.idempotencyKey),
          attempt.quantity,
          attempt.sale.perUserLimit,
          attempt.purchaseId,
          serialize(purchase),
        );
      let [outcome, value] = await call();
      if (outcome === 'UNLOADED') {
        await load(attempt.sale);
        [outcome, value] = await call();
      }
      switch (outcome) {
        case 'ACCEPTED':
          return { outcome: 'ACCEPTED', purchaseId: value as string, repeated: false };
        case 'REPEAT': {
          const [purchaseId, quantity] = (value as string).split(':') as [string, string];
          return Number(quantity) === attempt.quantity
            ? { outcome: 'ACCEPTED', purchaseId, repeated: true }
            : { outcome: 'KEY_REUSED', purchaseId };
        }
        case 'SOLD_OUT':
          return { outcome: 'SOLD_OUT' };
        case 'LIMIT_REACHED':
          return { outcome: 'LIMIT_REACHED' };
        default:
          throw new Error(`unexpected admission answer ${outcome}`);
      }
    },
    async release(sale, purchaseId) {
      const released = await store.markReleased(sale, purchaseId);
      if (!released) return false;
      const k = keys(sale.id);
      await redis.flashRelease(k.stock, k.users, released.userId, released.quantity);
      return true;
    },
    async counters(sale): Promise<SaleCounters> {
      const k = keys(sale.id);
      let stock = await redis.get(k.stock);
      if (stock === null) {
        await load(sale);
        stock = await redis.get(k.stock);
      }
      const remaining = Number(stock ?? 0);
      return { remaining, sold: sale.quantity - remaining };
    },
    async unpersisted(saleId, purchaseId) {
      const json = await redis.hget(keys(saleId).purchases, purchaseId);
      return json ? deserialize(json) : undefined;
    },
    persistNow: () => round(false),
    queueDepth: () => backlog,
    async close() {
      stopping = true;
      reader.disconnect();
      await loop?.catch(() => {});
      await redis.quit().catch(() => {});
    },
  };
}
