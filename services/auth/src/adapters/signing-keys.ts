import { generateKeyPairSync } from 'node:crypto';
import { type Db, JWT_AUDIENCE, JWT_ISSUER } from '@glassbox/kit';
import { type CryptoKey, calculateJwkThumbprint, importJWK, type JWK, SignJWT } from 'jose';
import type { TokenSigner } from '../app/auth-service.js';

/** A public key as published in the JWKS. */
export interface PublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  alg: 'ES256';
  use: 'sig';
}

export interface SigningKeys extends TokenSigner {
  /** Makes sure a signing key exists (generating and storing one the first time) and loads it. */
  init(): Promise<void>;
  /** Every key that is not retired: the current one and those that may still have signed live tokens. */
  jwks(): Promise<{ keys: PublicJwk[] }>;
  /** Adds a new signing key; older keys stay published. Returns the new key id. */
  rotate(): Promise<string>;
  currentKid(): Promise<string>;
}

interface KeyRow {
  kid: string;
  private_jwk: JWK;
  public_jwk: PublicJwk;
}

const LOCK = "hashtext('glassbox-auth-signing-key')";
const CACHE_MS = 30_000;

async function generate(): Promise<KeyRow> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pub = publicKey.export({ format: 'jwk' });
  const kid = await calculateJwkThumbprint({ kty: 'EC', crv: pub.crv, x: pub.x, y: pub.y });
  const privateJwk = privateKey.export({ format: 'jwk' }) as JWK;
  return {
    kid,
    private_jwk: privateJwk,
    public_jwk: { kty: 'EC', crv: 'P-256', x: pub.x ?? '', y: pub.y ?? '', kid, alg: 'ES256', use: 'sig' },
  };
}

/**
 * ES256 signing keys kept in auth's database so they survive restarts and are shared by replicas. The newest
 * non-retired key signs (its `kid` goes in the JWT header); all non-retired keys are published.
 */
export function createSigningKeys(db: Db): SigningKeys {
  let current: { kid: string; key: CryptoKey; loadedAt: number } | undefined;
  let published: { keys: PublicJwk[]; loadedAt: number } | undefined;

  async function insertKey(onlyIfNone: boolean): Promise<string> {
    return db.tx(async (q) => {
      // Serializes first-start generation across replicas starting together.
      await q.query(`SELECT pg_advisory_xact_lock(${LOCK})`);
      if (onlyIfNone) {
        const [existing] = await q.query<{ kid: string }>(
          'SELECT kid FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1',
        );
        if (existing) return existing.kid;
      }
      const key = await generate();
      await q.query(
        `INSERT INTO signing_keys (kid, alg, private_jwk, public_jwk, created_at)
         VALUES ($1, 'ES256', $2, $3, clock_timestamp())`,
        [key.kid, JSON.stringify(key.private_jwk), JSON.stringify(key.public_jwk)],
      );
      return key.kid;
    });
  }

  async function load(): Promise<{ kid: string; key: CryptoKey }> {
    if (current && Date.now() - current.loadedAt < CACHE_MS) return current;
    let [row] = await db.query<KeyRow>(
      `SELECT kid, private_jwk, public_jwk FROM signing_keys
        WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1`,
    );
    if (!row) {
      await insertKey(true);
      [row] = await db.query<KeyRow>(
        `SELECT kid, private_jwk, public_jwk FROM signing_keys
          WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1`,
      );
    }
    if (!row) throw new Error('no signing key could be created');
    const key = (await importJWK(row.private_jwk, 'ES256')) as CryptoKey;
    current = { kid: row.kid, key, loadedAt: Date.now() };
    return current;
  }

  return {
    async init() {
      await load();
    },

    async currentKid() {
      return (await load()).kid;
    },

    async sign(claims, ttlSeconds) {
      const { kid, key } = await load();
      const { sub, ...rest } = claims;
      return new SignJWT(rest)
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
        .setSubject(sub)
        .setIssuer(JWT_ISSUER)
        .setAudience(JWT_AUDIENCE)
        .setIssuedAt()
        .setJti(crypto.randomUUID())
        .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
        .sign(key);
    },

    async jwks() {
      if (published && Date.now() - published.loadedAt < CACHE_MS) return { keys: published.keys };
      const rows = await db.query<{ public_jwk: PublicJwk }>(
        'SELECT public_jwk FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC',
      );
      published = { keys: rows.map((r) => r.public_jwk), loadedAt: Date.now() };
      return { keys: published.keys };
    },

    async rotate() {
      const kid = await insertKey(false);
      current = undefined;
      published = undefined;
      return kid;
    },
  };
}
