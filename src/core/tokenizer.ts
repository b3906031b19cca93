/**
 * Splitting text into tokens and joining tokens back into text.
 * - char: one token per Unicode code point, so an emoji or a CJK character is one token.
 * - word: runs of letters/digits/apostrophes, each punctuation mark, and each newline; spaces are
 *   implied between words and restored by `detokenize`.
 */
import type { TokenLevel } from '../protocol/types';

const WORD_PATTERN = /[\p{L}\p{N}\p{M}'’_]+|\n|[^\s\p{L}\p{N}\p{M}'’_]/gu;

export function tokenize(text: string, level: TokenLevel): string[] {
  if (level === 'char') return Array.from(text);
  return text.match(WORD_PATTERN) ?? [];
}

/**
 * Calls `visit` with each token of `text` in order, as `tokenize` splits it, without building the
 * array: a 50 MB file has 50 million character tokens, and an array of them costs gigabytes.
 */
export function forEachToken(text: string, level: TokenLevel, visit: (token: string) => void): void {
  if (level === 'char') {
    for (const ch of text) visit(ch);
    return;
  }
  const pattern = new RegExp(WORD_PATTERN.source, WORD_PATTERN.flags);
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) visit(m[0]);
}

/** The number of Unicode code points in `text` (what the character level counts as tokens). */
export function codePointCount(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A low surrogate after a high one is the second half of one code point.
    if (c >= 0xdc00 && c <= 0xdfff && i > 0) {
      const prev = text.charCodeAt(i - 1);
      if (prev >= 0xd800 && prev <= 0xdbff) n--;
    }
  }
  return n;
}

const NO_SPACE_BEFORE = new Set(['.', ',', ';', ':', '!', '?', ')', ']', '}', '”', '’', '»', '%', '\n']);
const NO_SPACE_AFTER = new Set(['(', '[', '{', '“', '‘', '«', '\n']);

/** Joins tokens into text; for word level, puts spaces where English prose would have them. */
export function detokenize(tokens: readonly string[], level: TokenLevel): string {
  if (level === 'char') return tokens.join('');
  let out = '';
  let prev = '\n';
  for (const token of tokens) {
    if (out.length > 0 && !NO_SPACE_BEFORE.has(token) && !NO_SPACE_AFTER.has(prev)) out += ' ';
    out += token;
    prev = token;
  }
  return out;
}

/** Text to append after `previous` tokens when streaming one more token. */
export function detokenizeNext(previous: string | undefined, token: string, level: TokenLevel): string {
  if (level === 'char' || previous === undefined) return token;
  return !NO_SPACE_BEFORE.has(token) && !NO_SPACE_AFTER.has(previous) ? ' ' + token : token;
}
