import { describe, expect, it } from 'vitest';
import {
  canTransition,
  normalizeItems,
  planCommit,
  planCommitLines,
  planRelease,
  RESERVATION_STATUSES,
  RESERVATION_TRANSITIONS,
  sameRequest,
} from './reservations.js';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';

describe('reservation lifecycle', () => {
  it('only a live reservation can be committed, released or expired', () => {
    expect(canTransition('RESERVED', 'COMMITTED')).toBe(true);
    expect(canTransition('RESERVED', 'RELEASED')).toBe(true);
    expect(canTransition('RESERVED', 'EXPIRED')).toBe(true);
    expect(canTransition('RELEASED', 'COMMITTED')).toBe(false);
    expect(canTransition('EXPIRED', 'COMMITTED')).toBe(false);
    expect(canTransition('EXPIRED', 'RESERVED')).toBe(false);
    expect(canTransition('COMMITTED', 'RESERVED')).toBe(false);
  });

  it('a committed reservation can only be released (its compensation)', () => {
    expect(RESERVATION_TRANSITIONS.COMMITTED).toEqual(['RELEASED']);
  });

  it('released and expired are final', () => {
    for (const to of RESERVATION_STATUSES) {
      expect(canTransition('RELEASED', to)).toBe(false);
      expect(canTransition('EXPIRED', to)).toBe(false);
    }
  });
});

describe('normalizeItems', () => {
  it('adds up repeated products and sorts by product id (the lock order)', () => {
    expect(
      normalizeItems([
        { productId: B, quantity: 1 },
        { productId: A, quantity: 2 },
        { productId: B.toUpperCase(), quantity: 3 },
      ]),
    ).toEqual([
      { productId: A, quantity: 2 },
      { productId: B, quantity: 4 },
    ]);
  });
});

describe('sameRequest', () => {
  const stored = { orderId: 'o1', items: [{ productId: A, quantity: 2 }] };

  it('matches the same items in any order or split', () => {
    expect(
      sameRequest(
        {
          orderId: 'o1',
          items: [
            { productId: A, quantity: 2 },
            { productId: B, quantity: 1 },
          ],
        },
        {
          orderId: 'o1',
          items: [
            { productId: B, quantity: 1 },
            { productId: A, quantity: 1 },
            { productId: A, quantity: 1 },
          ],
        },
      ),
    ).toBe(true);
  });

  it('differs on another order, quantity or product', () => {
    expect(sameRequest(stored, { orderId: 'o2', items: [{ productId: A, quantity: 2 }] })).toBe(false);
    expect(sameRequest(stored, { orderId: 'o1', items: [{ productId: A, quantity: 3 }] })).toBe(false);
    expect(sameRequest(stored, { orderId: 'o1', items: [{ productId: B, quantity: 2 }] })).toBe(false);
    expect(
      sameRequest(stored, {
        orderId: 'o1',
        items: [
          { productId: A, quantity: 2 },
          { productId: B, quantity: 1 },
        ],
      }),
    ).toBe(false);
  });
});

describe('planCommit', () => {
  it('commits a live reservation and repeats a committed one', () => {
    expect(planCommit('RESERVED', false)).toEqual({ action: 'commit' });
    expect(planCommit('COMMITTED', false)).toEqual({ action: 'none' });
    expect(planCommit('COMMITTED', true)).toEqual({ action: 'none' });
  });

  it('expires a reservation past its deadline instead of committing it', () => {
    expect(planCommit('RESERVED', true)).toEqual({ action: 'expire' });
  });

  it('refuses released and expired reservations', () => {
    expect(planCommit('RELEASED', false)).toEqual({ action: 'refuse' });
    expect(planCommit('EXPIRED', true)).toEqual({ action: 'refuse' });
  });
});

describe('planRelease', () => {
  it('never refuses', () => {
    expect(planRelease('RESERVED')).toEqual({ action: 'release' });
    expect(planRelease('COMMITTED')).toEqual({ action: 'restock' });
    expect(planRelease('RELEASED')).toEqual({ action: 'none' });
    expect(planRelease('EXPIRED')).toEqual({ action: 'none' });
    expect(planRelease(undefined)).toEqual({ action: 'none' });
  });
});

describe('what a commit takes', () => {
  const held = [
    { productId: B, quantity: 2 },
    { productId: A, quantity: 5 },
  ];

  it('takes everything held without a list, in product-id order', () => {
    expect(planCommitLines(held)).toEqual({
      lines: [
        { productId: A, held: 5, take: 5 },
        { productId: B, held: 2, take: 2 },
      ],
      problems: [],
    });
  });

  it('takes the listed quantities and gives the unlisted products back in full', () => {
    expect(planCommitLines(held, [{ productId: A.toUpperCase(), quantity: 3 }]).lines).toEqual([
      { productId: A, held: 5, take: 3 },
      { productId: B, held: 2, take: 0 },
    ]);
  });

  it('names every item it cannot take: more than held, not held, listed twice', () => {
    const { problems } = planCommitLines(held, [
      { productId: A, quantity: 6 },
      { productId: '00000000-0000-4000-8000-00000000000c', quantity: 1 },
      { productId: B, quantity: 1 },
      { productId: B, quantity: 1 },
    ]);
    expect(problems).toEqual([
      { path: '/items/0/quantity', message: 'must be at most the 5 held' },
      { path: '/items/1/productId', message: 'is not held by this reservation' },
      { path: '/items/3/productId', message: 'is listed twice' },
    ]);
  });
});
