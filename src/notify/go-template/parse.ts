/**
 * A parser for the part of Go's text/template language Watchtower users write in
 * WATCHTOWER_NOTIFICATION_TEMPLATE: text, `{{pipeline}}` actions with `{{-`/`-}}` trimming and
 * comments, `if`/`else if`/`else`, `range` (with `$i, $e :=`), `with`, variables, field chains,
 * parentheses, pipes and function calls. `define`, `template` and `block` are refused: a single
 * notification template has no use for them.
 */

import { GoTemplateError, lexAction, type Token } from './lex.js';

export { GoTemplateError } from './lex.js';

export type Operand =
  | { readonly kind: 'dot'; readonly path: readonly string[] }
  | { readonly kind: 'variable'; readonly name: string; readonly path: readonly string[] }
  | { readonly kind: 'pipe'; readonly pipe: Pipeline; readonly path: readonly string[] }
  | { readonly kind: 'function'; readonly name: string }
  | { readonly kind: 'literal'; readonly value: string | number | boolean | null };

export interface Command {
  readonly operands: readonly Operand[];
}

export interface Pipeline {
  /** `$x :=` / `$i, $e :=` declarations (or `$x =` assignments) in front of the commands. */
  readonly variables: readonly string[];
  readonly assign: 'declare' | 'set' | undefined;
  readonly commands: readonly Command[];
}

export type TemplateNode =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'output'; readonly pipe: Pipeline }
  | {
      readonly kind: 'if' | 'with' | 'range';
      readonly pipe: Pipeline;
      readonly body: readonly TemplateNode[];
      readonly otherwise: readonly TemplateNode[];
    };

type Action =
  | { readonly kind: 'output'; readonly pipe: Pipeline }
  | { readonly kind: 'if' | 'with' | 'range'; readonly pipe: Pipeline }
  | { readonly kind: 'else'; readonly chain: { kind: 'if' | 'with'; pipe: Pipeline } | undefined }
  | { readonly kind: 'end' };

/** Parses an action's tokens: a control word and its pipeline, or a pipeline to print. */
class ActionParser {
  private at = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  parse(): Action {
    const first = this.tokens[0];
    const word = first?.type === 'word' ? first.text : undefined;
    switch (word) {
      case 'if':
      case 'with':
      case 'range':
        this.at = 1;
        return { kind: word, pipe: this.pipelineToEnd() };
      case 'end':
        if (this.tokens.length > 1) throw new GoTemplateError('unexpected words after end');
        return { kind: 'end' };
      case 'else': {
        const next = this.tokens[1];
        if (next === undefined) return { kind: 'else', chain: undefined };
        if (next.type === 'word' && (next.text === 'if' || next.text === 'with')) {
          this.at = 2;
          return { kind: 'else', chain: { kind: next.text, pipe: this.pipelineToEnd() } };
        }
        throw new GoTemplateError('unexpected words after else');
      }
      case 'define':
      case 'template':
      case 'block':
      case 'break':
      case 'continue':
        throw new GoTemplateError(`{{${word}}} is not supported in a notification template`);
      default:
        return { kind: 'output', pipe: this.pipelineToEnd() };
    }
  }

  private peek(): Token | undefined {
    return this.tokens[this.at];
  }

  private isPunct(text: string): boolean {
    const token = this.peek();
    return token?.type === 'punct' && token.text === text;
  }

  private pipelineToEnd(): Pipeline {
    const pipe = this.pipeline();
    if (this.peek() !== undefined) throw new GoTemplateError('unexpected ")" or word in an action');
    if (pipe.commands.length === 0) throw new GoTemplateError('missing value in an action');
    return pipe;
  }

  private declarations(): Pick<Pipeline, 'variables' | 'assign'> {
    const names: string[] = [];
    const save = this.at;
    while (this.peek()?.type === 'variable') {
      names.push((this.peek() as { text: string }).text);
      this.at += 1;
      if (this.isPunct(':=') || this.isPunct('=')) {
        const assign = this.isPunct(':=') ? 'declare' : 'set';
        this.at += 1;
        return { variables: names, assign };
      }
      if (!this.isPunct(',') || names.length >= 2) break;
      this.at += 1;
    }
    this.at = save;
    return { variables: [], assign: undefined };
  }

  private pipeline(): Pipeline {
    const declared = this.declarations();
    const commands: Command[] = [];
    for (;;) {
      const operands: Operand[] = [];
      for (let token = this.peek(); token !== undefined; token = this.peek()) {
        if (token.type === 'punct' && (token.text === '|' || token.text === ')')) break;
        operands.push(this.operand());
      }
      if (operands.length > 0) commands.push({ operands });
      if (!this.isPunct('|')) break;
      if (operands.length === 0) throw new GoTemplateError('missing command before "|"');
      this.at += 1;
    }
    return { ...declared, commands };
  }

  /** `.A.B` after a term: the names, without dots. */
  private path(): string[] {
    const token = this.peek();
    if (token?.type !== 'field' || !token.glued) return [];
    this.at += 1;
    return token.text.slice(1).split('.');
  }

  private operand(): Operand {
    const token = this.peek();
    if (token === undefined) throw new GoTemplateError('missing operand');
    this.at += 1;
    switch (token.type) {
      case 'string':
        return { kind: 'literal', value: token.text };
      case 'number':
        return { kind: 'literal', value: token.value };
      case 'field':
        return { kind: 'dot', path: token.text.slice(1).split('.') };
      case 'variable':
        return { kind: 'variable', name: token.text, path: this.path() };
      case 'word':
        if (token.text === 'true' || token.text === 'false')
          return { kind: 'literal', value: token.text === 'true' };
        if (token.text === 'nil') return { kind: 'literal', value: null };
        return { kind: 'function', name: token.text };
      case 'punct':
        if (token.text === '.') return { kind: 'dot', path: [] };
        if (token.text === '(') {
          const pipe = this.pipeline();
          if (!this.isPunct(')')) throw new GoTemplateError('unclosed "("');
          this.at += 1;
          return { kind: 'pipe', pipe, path: this.path() };
        }
        throw new GoTemplateError(`unexpected "${token.text}"`);
    }
  }
}

/** Builds the tree of a whole template; throws a GoTemplateError saying what is wrong. */
export function parseGoTemplate(text: string): TemplateNode[] {
  interface Frame {
    readonly kind: 'if' | 'with' | 'range';
    readonly pipe: Pipeline;
    readonly body: TemplateNode[];
    otherwise: TemplateNode[] | undefined;
    /** An `else if` opens a nested frame that the same `end` closes. */
    readonly chained: boolean;
  }
  const root: TemplateNode[] = [];
  const stack: Frame[] = [];
  const current = (): TemplateNode[] => {
    const top = stack.at(-1);
    return top === undefined ? root : (top.otherwise ?? top.body);
  };
  const close = (): void => {
    const frame = stack.pop();
    if (frame === undefined) throw new GoTemplateError('{{end}} without {{if}}, {{range}} or {{with}}');
    current().push({
      kind: frame.kind,
      pipe: frame.pipe,
      body: frame.body,
      otherwise: frame.otherwise ?? [],
    });
    if (frame.chained) close();
  };

  let at = 0;
  let trimNext = false;
  while (at < text.length) {
    const open = text.indexOf('{{', at);
    let chunk = text.slice(at, open === -1 ? text.length : open);
    if (trimNext) chunk = chunk.replace(/^\s+/, '');
    if (open === -1) {
      if (chunk !== '') current().push({ kind: 'text', text: chunk });
      break;
    }
    const trimBefore = /^\{\{-\s/.test(text.slice(open, open + 4));
    if (trimBefore) chunk = chunk.replace(/\s+$/, '');
    if (chunk !== '') current().push({ kind: 'text', text: chunk });
    const inner = open + (trimBefore ? 3 : 2);
    const comment = /^\s*\/\*/.exec(text.slice(inner, inner + 64));
    if (comment !== null) {
      const end = text.indexOf('*/', inner);
      if (end === -1) throw new GoTemplateError('unclosed comment');
      const tail = /^\*\/(\s+-)?\}\}/.exec(text.slice(end));
      if (tail === null) throw new GoTemplateError('a comment must end its action');
      trimNext = tail[1] !== undefined;
      at = end + tail[0].length;
      continue;
    }
    const lexed = lexAction(text, inner);
    trimNext = lexed.trimAfter;
    at = lexed.end;
    if (lexed.tokens.length === 0) throw new GoTemplateError('empty action');
    const action = new ActionParser(lexed.tokens).parse();
    switch (action.kind) {
      case 'output':
        current().push(action);
        break;
      case 'if':
      case 'with':
      case 'range':
        stack.push({ kind: action.kind, pipe: action.pipe, body: [], otherwise: undefined, chained: false });
        break;
      case 'else': {
        const top = stack.at(-1);
        if (top === undefined || top.otherwise !== undefined)
          throw new GoTemplateError('unexpected {{else}}');
        top.otherwise = [];
        if (action.chain !== undefined) {
          stack.push({
            kind: action.chain.kind,
            pipe: action.chain.pipe,
            body: [],
            otherwise: undefined,
            chained: true,
          });
        }
        break;
      }
      case 'end':
        close();
        break;
    }
  }
  if (stack.length > 0) throw new GoTemplateError(`{{${stack.at(-1)?.kind ?? 'if'}}} without {{end}}`);
  return root;
}

/**
 * Whether a notification template is Go's (Watchtower's) rather than Mustache (refit's): Go's
 * actions start with a dot, a variable, a keyword, a literal or a trim marker, which Mustache
 * tags (`{{name}}`, `{{#name}}`, `{{/name}}`, `{{^name}}`, `{{!…}}`) never do.
 */
export function isGoTemplate(text: string): boolean {
  return /\{\{-?\s*(?:[.$("`]|\/\*|-?\d|(?:if|else|end|range|with|len|index|print|printf|println|and|or|not|eq|ne|lt|le|gt|ge|ToJSON|ToUpper|ToLower|Title|ToPorcelainJSON|RFC1123)\b)|\s-\}\}/.test(
    text,
  );
}
