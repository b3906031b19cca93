/**
 * A minimal typed event emitter with VS Code's `Event<T>` shape (`event(listener) -> disposable`),
 * so host logic that must run in plain Node tests can publish events without importing `vscode`.
 */
import type { IDisposable } from './dispose';

export type Event<T> = (listener: (value: T) => void) => IDisposable;

export class Emitter<T> implements IDisposable {
  private listeners = new Set<(value: T) => void>();
  private disposed = false;

  readonly event: Event<T> = (listener) => {
    if (this.disposed) return { dispose() {} };
    // Wrap so the same function can subscribe twice and unsubscribe each time independently.
    const entry = (value: T) => listener(value);
    this.listeners.add(entry);
    return { dispose: () => void this.listeners.delete(entry) };
  };

  /** Calls every listener; one listener's exception does not keep the others from hearing it. */
  fire(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch (e) {
        console.error('Sequence Lab: event listener failed', e);
      }
    }
  }

  dispose(): void {
    this.disposed = true;
    this.listeners.clear();
  }
}
