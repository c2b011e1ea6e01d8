import { describe, expect, it } from 'vitest';
import {
  findChallenge,
  parseWwwAuthenticate,
  WwwAuthenticateError,
} from '../../../src/registry/www-authenticate.js';

describe('parseWwwAuthenticate', () => {
  it("reads Docker Hub's Bearer challenge", () => {
    const challenges = parseWwwAuthenticate(
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
    );
    expect(challenges).toEqual([
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:library/nginx:pull',
        },
        token68: undefined,
      },
    ]);
  });

  it('reads a Basic challenge', () => {
    expect(parseWwwAuthenticate('Basic realm="Registry Realm"')).toEqual([
      { scheme: 'basic', params: { realm: 'Registry Realm' }, token68: undefined },
    ]);
  });

  it('treats scheme and parameter names case-insensitively', () => {
    const [challenge] = parseWwwAuthenticate('BEARER Realm="https://r.example/token",SERVICE=svc');
    expect(challenge?.scheme).toBe('bearer');
    expect(challenge?.params).toEqual({ realm: 'https://r.example/token', service: 'svc' });
    expect(findChallenge(parseWwwAuthenticate('bAsIc realm="x"'), 'Basic')?.params['realm']).toBe('x');
  });

  it('keeps commas inside quoted values', () => {
    const [challenge] = parseWwwAuthenticate(
      'Bearer realm="https://r.example/token",scope="repository:a/b:pull,push",service="r"',
    );
    expect(challenge?.params['scope']).toBe('repository:a/b:pull,push');
    expect(challenge?.params['service']).toBe('r');
  });

  it('unescapes backslash escapes in quoted strings', () => {
    const [challenge] = parseWwwAuthenticate('Basic realm="say \\"hi\\" to C:\\\\registry"');
    expect(challenge?.params['realm']).toBe('say "hi" to C:\\registry');
  });

  it('accepts an empty quoted value', () => {
    expect(parseWwwAuthenticate('Bearer realm="https://r/t",service=""')[0]?.params['service']).toBe('');
  });

  it('tolerates whitespace around "=" and commas, and empty list elements', () => {
    const [challenge] = parseWwwAuthenticate('  Bearer   realm = "https://r/t" ,  , service\t=\tsvc  ');
    expect(challenge?.params).toEqual({ realm: 'https://r/t', service: 'svc' });
  });

  it('splits several challenges in one header value', () => {
    const challenges = parseWwwAuthenticate(
      'Basic realm="basic, realm", Bearer realm="https://r/t",service="svc", Negotiate',
    );
    expect(challenges.map((c) => c.scheme)).toEqual(['basic', 'bearer', 'negotiate']);
    expect(challenges[0]?.params).toEqual({ realm: 'basic, realm' });
    expect(challenges[1]?.params).toEqual({ realm: 'https://r/t', service: 'svc' });
    expect(challenges[2]?.params).toEqual({});
  });

  it('reads token68 credentials and a bare scheme', () => {
    const challenges = parseWwwAuthenticate('Negotiate YII+Cc/w==, NTLM, Basic realm="x"');
    expect(challenges).toEqual([
      { scheme: 'negotiate', params: {}, token68: 'YII+Cc/w==' },
      { scheme: 'ntlm', params: {}, token68: undefined },
      { scheme: 'basic', params: { realm: 'x' }, token68: undefined },
    ]);
  });

  it('joins the challenges of several header lines in order', () => {
    const challenges = parseWwwAuthenticate(['Basic realm="a"', 'Bearer realm="https://r/t"']);
    expect(challenges.map((c) => c.scheme)).toEqual(['basic', 'bearer']);
    expect(findChallenge(challenges, 'bearer')?.params['realm']).toBe('https://r/t');
  });

  it.each([
    ['an empty header', ''],
    ['only separators', ' , ,'],
    ['an unterminated quoted string', 'Bearer realm="https://r/t'],
    ['a missing comma between parameters', 'Bearer realm="https://r/t" service="x"'],
    ['a parameter without a value', 'Bearer realm="https://r/t",service='],
    ['a stray "=" after a comma', 'Bearer realm="https://r/t",=x'],
    ['a missing scheme', '="x"'],
    ['a scheme glued to a quote', 'Bearer"x"'],
    ['a duplicated parameter', 'Bearer realm="a",realm="b"'],
    ['a control character in a quoted string', 'Basic realm="a\u0001b"'],
    ['a trailing backslash', 'Basic realm="abc\\'],
  ])('rejects %s with a WwwAuthenticateError', (_, header) => {
    expect(() => parseWwwAuthenticate(header)).toThrow(WwwAuthenticateError);
  });

  it('says what is wrong and quotes the header', () => {
    let error: unknown;
    try {
      parseWwwAuthenticate('Bearer realm="https://r/t');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(WwwAuthenticateError);
    expect(error).toMatchObject({ code: 'MALFORMED_WWW_AUTHENTICATE' });
    expect((error as Error).message).toContain('unterminated quoted string');
    expect((error as Error).message).toContain('Bearer realm="https://r/t');
  });

  it('names the duplicated parameter', () => {
    expect(() => parseWwwAuthenticate('Bearer realm="a", REALM="b"')).toThrow(/"realm" appears twice/);
  });
});
