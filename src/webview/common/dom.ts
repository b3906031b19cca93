/**
 * A tiny element builder. Text always goes in as Text nodes (never parsed as HTML): model output and
 * file contents are untrusted.
 */

type Child = Node | string | null | undefined | false;

export interface Props {
  /** Space-separated class names. */
  readonly class?: string;
  /** Attributes, set with setAttribute (never `style` or event handlers: the CSP forbids inline ones anyway). */
  readonly attrs?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** Plain text content. */
  readonly text?: string;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.attrs) setAttrs(el, props.attrs);
  if (props.text !== undefined) el.textContent = props.text;
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  }
}

/** Sets or (for `false`/`undefined`) removes attributes; `true` sets an empty boolean attribute. */
export function setAttrs(el: Element, attrs: Readonly<Record<string, string | number | boolean | undefined>>): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) el.removeAttribute(name);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
}

/** Replaces all children. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.textContent = '';
  append(parent, ...children);
}

/** Sets text only when it changed, so frequent updates do not disturb selection or screen readers. */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/** Enables or disables a native or vscode-elements control, keeping aria-disabled in step. */
export function setDisabled(el: HTMLElement & { disabled?: boolean }, disabled: boolean): void {
  el.disabled = disabled;
  el.toggleAttribute('disabled', disabled);
  el.setAttribute('aria-disabled', String(disabled));
}

/** A codicon glyph (decorative: hidden from screen readers). */
export function icon(name: string, extraClass = ''): HTMLElement {
  return h('span', { class: `codicon codicon-${name} ${extraClass}`.trim(), attrs: { 'aria-hidden': 'true' } });
}
