import { describe, expect, it } from 'vitest';
import { defaultServerUrl } from './server-url.js';

describe('the server the admin-API commands talk to without --url', () => {
  it('is KAIROS_URL, else this host at KAIROS_PORT, else port 8080', () => {
    expect(defaultServerUrl({ KAIROS_URL: 'https://kairos.bank.example', KAIROS_PORT: '9000' })).toBe('https://kairos.bank.example');
    expect(defaultServerUrl({ KAIROS_PORT: '9000' })).toBe('http://127.0.0.1:9000');
    expect(defaultServerUrl({ KAIROS_URL: '', KAIROS_PORT: '' })).toBe('http://127.0.0.1:8080');
    expect(defaultServerUrl({})).toBe('http://127.0.0.1:8080');
  });
});
