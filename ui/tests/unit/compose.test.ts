import { describe, expect, it } from 'vitest';
import { attachmentSummary, completeWith, currentToken, toBase64 } from '../../src/lib/state/compose';

describe('compose helpers', () => {
  it('finds the address being typed after the last separator', () => {
    expect(currentToken('Bob <bob@x>, car')).toBe('car');
    expect(currentToken('al')).toBe('al');
    expect(currentToken('a@x; ')).toBe('');
  });

  it('replaces only the partial address with the chosen one', () => {
    expect(completeWith('Bob <bob@x>, car', { name: 'Carol', address: 'carol@x' })).toBe('Bob <bob@x>, Carol <carol@x>, ');
    expect(completeWith('bo', { name: '', address: 'bob@x' })).toBe('bob@x, ');
  });

  it('sums attachments and encodes bytes', () => {
    expect(attachmentSummary([])).toBe('');
    expect(attachmentSummary([1024, 1024])).toBe('2 attachments, 2.0 KB');
    expect(toBase64(new Uint8Array([0, 255, 7]))).toBe('AP8H');
  });
});
