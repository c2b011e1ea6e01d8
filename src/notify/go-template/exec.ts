import { GoTemplateError } from './lex.js';
import type { Command, Operand, Pipeline, TemplateNode } from './parse.js';
import { isTrue, printValue, type GoFunction } from './values.js';

/**
 * Runs a parsed Go template over data shaped like Go's: objects stand for structs (a missing
 * field is an error, a function property is a method, called when named), `Map`s for Go maps (a
 * missing key is `<no value>`), arrays for slices, and `GoText` for Go string types with methods
 * (Watchtower's image IDs). Printing, truth and comparison follow text/template and fmt's `%v`.
 */

interface Scope {
  readonly names: Map<string, unknown>;
  readonly parent: Scope | undefined;
}

function lookup(scope: Scope, name: string): unknown {
  for (let at: Scope | undefined = scope; at !== undefined; at = at.parent) {
    if (at.names.has(name)) return at.names.get(name);
  }
  throw new GoTemplateError(`undefined variable ${name}`);
}

function setVariable(scope: Scope, name: string, value: unknown): void {
  for (let at: Scope | undefined = scope; at !== undefined; at = at.parent) {
    if (at.names.has(name)) {
      at.names.set(name, value);
      return;
    }
  }
  throw new GoTemplateError(`undefined variable ${name}`);
}

/** Field `name` of `value`, calling it when it is a method (with `args` if given). */
function field(value: unknown, name: string, args: readonly unknown[] | undefined): unknown {
  if (value instanceof Map) {
    if (args !== undefined && args.length > 0)
      throw new GoTemplateError(`${name} is not a method but has arguments`);
    return value.get(name);
  }
  if (value === null || value === undefined) throw new GoTemplateError(`nil pointer evaluating .${name}`);
  // As in Go, only exported (capitalised) names are reachable, which also keeps JavaScript's own
  // members (constructor, __proto__, toString) out of a template's reach.
  if (typeof value !== 'object' || !/^[A-Z]/.test(name) || !(name in value)) {
    throw new GoTemplateError(`can't evaluate field ${name}`);
  }
  const member = (value as Record<string, unknown>)[name];
  if (typeof member === 'function') return (member as GoFunction).apply(value, [...(args ?? [])]);
  if (args !== undefined && args.length > 0)
    throw new GoTemplateError(`${name} is not a method but has arguments`);
  return member;
}

function walk(value: unknown, path: readonly string[], lastArgs: readonly unknown[] | undefined): unknown {
  let item = value;
  path.forEach((name, at) => {
    item = field(item, name, at === path.length - 1 ? lastArgs : undefined);
  });
  return item;
}

export class Executor {
  constructor(private readonly functions: Readonly<Record<string, GoFunction>>) {}

  run(nodes: readonly TemplateNode[], data: unknown): string {
    const scope: Scope = { names: new Map([['$', data]]), parent: undefined };
    return this.nodes(nodes, data, scope);
  }

  private nodes(nodes: readonly TemplateNode[], dot: unknown, scope: Scope): string {
    let out = '';
    for (const node of nodes) out += this.node(node, dot, scope);
    return out;
  }

  private node(node: TemplateNode, dot: unknown, scope: Scope): string {
    switch (node.kind) {
      case 'text':
        return node.text;
      case 'output': {
        const value = this.pipeline(node.pipe, dot, scope);
        return node.pipe.assign === undefined ? printValue(value) : '';
      }
      case 'if': {
        const inner: Scope = { names: new Map(), parent: scope };
        const value = this.pipeline(node.pipe, dot, inner);
        return isTrue(value) ? this.nodes(node.body, dot, inner) : this.nodes(node.otherwise, dot, inner);
      }
      case 'with': {
        const inner: Scope = { names: new Map(), parent: scope };
        const value = this.pipeline(node.pipe, dot, inner);
        return isTrue(value) ? this.nodes(node.body, value, inner) : this.nodes(node.otherwise, dot, inner);
      }
      case 'range':
        return this.range(node, dot, scope);
    }
  }

  private range(node: Extract<TemplateNode, { readonly body: unknown }>, dot: unknown, scope: Scope): string {
    const { variables, commands } = node.pipe;
    const outer: Scope = { names: new Map(), parent: scope };
    const value = this.pipeline({ variables: [], assign: undefined, commands }, dot, outer);
    let entries: [unknown, unknown][];
    if (Array.isArray(value)) entries = value.map((item, at) => [at, item]);
    else if (value instanceof Map)
      entries = [...(value as Map<unknown, unknown>).entries()].sort(([a], [b]) =>
        String(a) < String(b) ? -1 : 1,
      );
    else if (typeof value === 'number') entries = Array.from({ length: value }, (_, at) => [at, at]);
    else if (value === null || value === undefined) entries = [];
    else throw new GoTemplateError(`range can't iterate over ${printValue(value)}`);
    if (entries.length === 0) return this.nodes(node.otherwise, dot, outer);
    let out = '';
    for (const [key, item] of entries) {
      const inner: Scope = { names: new Map(), parent: outer };
      if (variables.length === 1) inner.names.set(variables[0] ?? '', item);
      if (variables.length === 2) {
        inner.names.set(variables[0] ?? '', key);
        inner.names.set(variables[1] ?? '', item);
      }
      out += this.nodes(node.body, item, inner);
    }
    return out;
  }

  private pipeline(pipe: Pipeline, dot: unknown, scope: Scope): unknown {
    let value: unknown;
    pipe.commands.forEach((command, at) => {
      value = this.command(command, dot, scope, at === 0 ? [] : [value]);
    });
    if (pipe.assign === 'declare') {
      for (const name of pipe.variables) scope.names.set(name, value);
    } else if (pipe.assign === 'set') {
      for (const name of pipe.variables) setVariable(scope, name, value);
    }
    return value;
  }

  private command(command: Command, dot: unknown, scope: Scope, piped: readonly unknown[]): unknown {
    const [head, ...rest] = command.operands;
    if (head === undefined) throw new GoTemplateError('empty command');
    const args = (): unknown[] => [...rest.map((operand) => this.operand(operand, dot, scope)), ...piped];
    if (head.kind === 'function') {
      const fn = this.functions[head.name];
      if (fn === undefined) throw new GoTemplateError(`function "${head.name}" not defined`);
      return fn(...args());
    }
    const callArgs = args();
    if (callArgs.length === 0) return this.operand(head, dot, scope);
    if (head.kind === 'literal' || head.path.length === 0) {
      throw new GoTemplateError("can't give an argument to a value that is not a method or function");
    }
    return walk(this.base(head, dot, scope), head.path, callArgs);
  }

  private base(
    operand: Exclude<Operand, { kind: 'function' | 'literal' }>,
    dot: unknown,
    scope: Scope,
  ): unknown {
    if (operand.kind === 'dot') return dot;
    if (operand.kind === 'variable') return lookup(scope, operand.name);
    return this.pipeline(operand.pipe, dot, scope);
  }

  private operand(operand: Operand, dot: unknown, scope: Scope): unknown {
    switch (operand.kind) {
      case 'literal':
        return operand.value;
      case 'function': {
        const fn = this.functions[operand.name];
        if (fn === undefined) throw new GoTemplateError(`function "${operand.name}" not defined`);
        return fn();
      }
      default:
        return walk(this.base(operand, dot, scope), operand.path, undefined);
    }
  }
}
