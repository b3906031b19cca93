/**
 * One lifetime idiom for every long-lived object of the extension host (after VS Code's
 * markdown-language-features `src/util/dispose.ts`). No `vscode` import, so the run manager and its
 * unit tests share it with the view code: `vscode.Disposable` satisfies `IDisposable` structurally.
 */

export interface IDisposable {
  dispose(): void;
}

/** Disposes every item, even when some throw; rethrows the first error (or all of them). */
export function disposeAll(disposables: Iterable<IDisposable>): void {
  const errors: unknown[] = [];
  for (const disposable of disposables) {
    try {
      disposable.dispose();
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length === 1) {
    throw errors[0];
  } else if (errors.length > 1) {
    throw new AggregateError(errors, 'Encountered errors while disposing');
  }
}

export function toDisposable(dispose: () => void): IDisposable {
  let done = false;
  return {
    dispose() {
      if (!done) {
        done = true;
        dispose();
      }
    },
  };
}

export abstract class Disposable implements IDisposable {
  #isDisposed = false;

  protected _disposables: IDisposable[] = [];

  public dispose(): void {
    if (this.#isDisposed) {
      return;
    }
    this.#isDisposed = true;
    // Last registered, first disposed: later objects may depend on earlier ones.
    disposeAll(this._disposables.reverse());
    this._disposables = [];
  }

  /** Ties `value`'s lifetime to this object's; disposes it at once if this object is already gone. */
  protected _register<T extends IDisposable>(value: T): T {
    if (this.#isDisposed) {
      value.dispose();
    } else {
      this._disposables.push(value);
    }
    return value;
  }

  protected get isDisposed(): boolean {
    return this.#isDisposed;
  }
}
