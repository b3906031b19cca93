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
