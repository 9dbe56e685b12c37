import { describe, expect, it } from 'vitest';
import { likePattern, normalizeSearch } from './search.js';

describe('search', () => {
  it('trims and collapses whitespace; blank means no search', () => {
    expect(normalizeSearch('  burr   grinder ')).toBe('burr grinder');
    expect(normalizeSearch('   ')).toBeUndefined();
    expect(normalizeSearch('')).toBeUndefined();
    expect(normalizeSearch(undefined)).toBeUndefined();
  });

  it('matches the text literally: LIKE wildcards and the escape character are escaped', () => {
    expect(likePattern('tea')).toBe('%tea%');
    expect(likePattern('100%')).toBe('%100\\%%');
    expect(likePattern('a_b')).toBe('%a\\_b%');
    expect(likePattern('back\\slash')).toBe('%back\\\\slash%');
  });
});
