import { describe, expect, it } from 'vitest';
import { createTransportPolicy, isLoopback } from '../../../src/registry/registry-transport.js';

describe('transport policy', () => {
  const policy = createTransportPolicy(['Insecure.example.com:5000', 'http://lab.internal/', ' ']);

  it.each([
    ['localhost', true],
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['[::1]', true],
    ['::1', true],
    ['128.0.0.1', false],
    ['127.0.0.256', false],
    ['localhost.example.com', false],
  ])('%s is loopback: %s', (host, expected) => {
    expect(isLoopback(host)).toBe(expected);
  });

  it.each([
    ['127.0.0.1:5000', 'http:'],
    ['localhost:5000', 'http:'],
    ['[::1]:5000', 'http:'],
    ['insecure.example.com:5000', 'http:'],
    ['insecure.example.com:5001', 'https:'],
    ['insecure.example.com', 'https:'],
    ['lab.internal', 'http:'],
    ['lab.internal:8080', 'http:'],
    ['ghcr.io', 'https:'],
    ['registry-1.docker.io', 'https:'],
  ])('%s uses %s', (host, protocol) => {
    expect(policy.baseUrl(host).protocol).toBe(protocol);
  });
});
