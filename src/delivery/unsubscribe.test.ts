import { describe, expect, it } from 'vitest';
import { readUnsubscribeToken, unsubscribeToken } from './unsubscribe.js';

describe('unsubscribe tokens', () => {
  it('reads back a genuine token and refuses a forged or altered one', () => {
    const token = unsubscribeToken({ email: 'ivan@mail.ru', customer: 'c-1' }, 'secret');
    expect(readUnsubscribeToken(token, 'secret')).toEqual({ email: 'ivan@mail.ru', customer: 'c-1' });
    expect(readUnsubscribeToken(token, 'other-secret')).toBeUndefined();
    expect(readUnsubscribeToken(`${token}x`, 'secret')).toBeUndefined();
    expect(readUnsubscribeToken('forged.token', 'secret')).toBeUndefined();
    expect(readUnsubscribeToken(`${token}.more`, 'secret')).toBeUndefined();
  });
});
