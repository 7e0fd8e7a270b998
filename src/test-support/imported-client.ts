import { granted } from '../../actors/test-support/fixtures.js';
import type { CustomerRecord } from '../store/store.js';

/** Client `n` as the bank's import gives them (Ирина Петровна, 40 + n, card, phone and e-mail numbered n, SMS and e-mail consents), imported at `importedAt`. */
export function importedClient(n: number, importedAt: number): CustomerRecord {
  return {
    stage: 'client',
    profile: { firstName: 'Ирина', patronymic: 'Петровна', age: 40 + n },
    identifiers: { card: [`card-${n}`], phone: [`+7916000000${n}`], email: [`c${n}@bank.example`] },
    consents: granted,
    importedAt,
  };
}
