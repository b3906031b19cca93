/**
 * Errors the user can act on. `code` is stable (tests and the host switch on it), `message` says what
 * happened, `hint` what to do about it.
 */
export type InputErrorCode =
  | 'FILE_NOT_FOUND'
  | 'NOT_A_FILE'
  | 'EMPTY'
  | 'BINARY'
  | 'NOT_UTF8'
  | 'TOO_LARGE'
  | 'TOO_FEW_TOKENS'
  | 'ONE_TOKEN'
  | 'BAD_CONFIG'
  | 'BAD_CHECKPOINT'
  /** Resuming on a text whose hash differs from the checkpoint's; `allowChangedText` continues as fine-tuning. */
  | 'TEXT_CHANGED'
  | 'BACKEND_UNAVAILABLE'
  | 'DIVERGED'
  | 'EXPORT_UNSUPPORTED'
  | 'OUT_DIR_NOT_EMPTY'
  | 'TABLE_NO_ROWS'
  | 'TABLE_RAGGED'
  | 'TABLE_NO_COLUMN'
  | 'TABLE_NOT_NUMERIC'
  | 'TABLE_MISSING'
  | 'TABLE_CONSTANT';

export class SeqLabError extends Error {
  constructor(
    readonly code: InputErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'SeqLabError';
  }
}
