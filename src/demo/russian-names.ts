import { fnv1a, seededRng } from '../../actors/index.js';
import { KairosError } from '../errors.js';

/**
 * Deterministic Russian full names for the demo customers: surname, first name and
 * patronymic in the forms of one generated gender, first names drawn from the generation
 * the customer's age suggests. The same row number always gives the same person.
 */

export interface GeneratedPerson {
  gender: 'm' | 'f';
  firstName: string;
  patronymic: string;
  lastName: string;
  phone: string;
  email: string;
  card: string;
}

const maleOlder = ['Александр', 'Сергей', 'Владимир', 'Николай', 'Юрий', 'Виктор', 'Анатолий', 'Валерий', 'Геннадий', 'Борис', 'Василий', 'Михаил', 'Евгений', 'Игорь', 'Олег', 'Леонид', 'Пётр', 'Григорий', 'Вячеслав', 'Станислав'];
const maleYounger = ['Александр', 'Дмитрий', 'Максим', 'Артём', 'Иван', 'Андрей', 'Алексей', 'Никита', 'Михаил', 'Кирилл', 'Егор', 'Даниил', 'Илья', 'Роман', 'Денис', 'Павел', 'Константин', 'Антон', 'Евгений', 'Сергей'];
const femaleOlder = ['Галина', 'Валентина', 'Людмила', 'Надежда', 'Татьяна', 'Нина', 'Любовь', 'Тамара', 'Вера', 'Лариса', 'Ольга', 'Елена', 'Ирина', 'Светлана', 'Зинаида', 'Раиса', 'Лидия', 'Марина', 'Наталья', 'Антонина'];
const femaleYounger = ['Анна', 'Мария', 'Екатерина', 'Анастасия', 'Дарья', 'Юлия', 'Ксения', 'Полина', 'Алёна', 'Виктория', 'Елизавета', 'Наталья', 'Ольга', 'Елена', 'Татьяна', 'Ирина', 'Александра', 'Софья', 'Вероника', 'Кристина'];

/** Patronymics from fathers' names: [masculine, feminine]. */
const patronymics: ReadonlyArray<readonly [string, string]> = [
  ['Александрович', 'Александровна'],
  ['Сергеевич', 'Сергеевна'],
  ['Дмитриевич', 'Дмитриевна'],
  ['Андреевич', 'Андреевна'],
  ['Алексеевич', 'Алексеевна'],
  ['Михайлович', 'Михайловна'],
  ['Владимирович', 'Владимировна'],
  ['Николаевич', 'Николаевна'],
  ['Иванович', 'Ивановна'],
  ['Петрович', 'Петровна'],
  ['Викторович', 'Викторовна'],
  ['Юрьевич', 'Юрьевна'],
  ['Олегович', 'Олеговна'],
  ['Игоревич', 'Игоревна'],
  ['Евгеньевич', 'Евгеньевна'],
  ['Павлович', 'Павловна'],
  ['Васильевич', 'Васильевна'],
  ['Анатольевич', 'Анатольевна'],
  ['Борисович', 'Борисовна'],
  ['Геннадьевич', 'Геннадьевна'],
  ['Валерьевич', 'Валерьевна'],
  ['Григорьевич', 'Григорьевна'],
  ['Леонидович', 'Леонидовна'],
  ['Романович', 'Романовна'],
  ['Константинович', 'Константиновна'],
  ['Степанович', 'Степановна'],
  ['Фёдорович', 'Фёдоровна'],
  ['Максимович', 'Максимовна'],
  ['Георгиевич', 'Георгиевна'],
  ['Ильич', 'Ильинична'],
];

/** Surnames: [masculine, feminine]; some do not change with gender. */
const surnames: ReadonlyArray<readonly [string, string]> = [
  ['Иванов', 'Иванова'],
  ['Смирнов', 'Смирнова'],
  ['Кузнецов', 'Кузнецова'],
  ['Попов', 'Попова'],
  ['Васильев', 'Васильева'],
  ['Петров', 'Петрова'],
  ['Соколов', 'Соколова'],
  ['Михайлов', 'Михайлова'],
  ['Новиков', 'Новикова'],
  ['Фёдоров', 'Фёдорова'],
  ['Морозов', 'Морозова'],
  ['Волков', 'Волкова'],
  ['Алексеев', 'Алексеева'],
  ['Лебедев', 'Лебедева'],
  ['Семёнов', 'Семёнова'],
  ['Егоров', 'Егорова'],
  ['Павлов', 'Павлова'],
  ['Козлов', 'Козлова'],
  ['Степанов', 'Степанова'],
  ['Николаев', 'Николаева'],
  ['Орлов', 'Орлова'],
  ['Андреев', 'Андреева'],
  ['Макаров', 'Макарова'],
  ['Никитин', 'Никитина'],
  ['Захаров', 'Захарова'],
  ['Зайцев', 'Зайцева'],
  ['Соловьёв', 'Соловьёва'],
  ['Борисов', 'Борисова'],
  ['Яковлев', 'Яковлева'],
  ['Григорьев', 'Григорьева'],
  ['Романов', 'Романова'],
  ['Воробьёв', 'Воробьёва'],
  ['Сергеев', 'Сергеева'],
  ['Кузьмин', 'Кузьмина'],
  ['Фролов', 'Фролова'],
  ['Александров', 'Александрова'],
  ['Королёв', 'Королёва'],
  ['Гусев', 'Гусева'],
  ['Киселёв', 'Киселёва'],
  ['Белов', 'Белова'],
  ['Тарасов', 'Тарасова'],
  ['Комаров', 'Комарова'],
  ['Жуковский', 'Жуковская'],
  ['Островский', 'Островская'],
  ['Шевченко', 'Шевченко'],
  ['Бондаренко', 'Бондаренко'],
  ['Ткаченко', 'Ткаченко'],
  ['Черных', 'Черных'],
];

const translitMap: Readonly<Record<string, string>> = {
  а: 'a', б: 'b', в: 'v', г: 'g', д: 'd', е: 'e', ё: 'e', ж: 'zh', з: 'z', и: 'i', й: 'y', к: 'k', л: 'l', м: 'm', н: 'n',
  о: 'o', п: 'p', р: 'r', с: 's', т: 't', у: 'u', ф: 'f', х: 'kh', ц: 'ts', ч: 'ch', ш: 'sh', щ: 'shch', ъ: '', ы: 'y',
  ь: '', э: 'e', ю: 'yu', я: 'ya',
};

export function translit(ru: string): string {
  return Array.from(ru.toLowerCase(), (ch) => translitMap[ch] ?? ch).join('');
}

function pick<T>(list: readonly T[], r: number): T {
  const v = list[Math.floor(r * list.length)];
  if (v === undefined) throw new KairosError('internal', 'empty list');
  return v;
}

/**
 * A unique mobile number for row n: +7 9XX XXX-XX-XX. n -> (n x 7919 + 104729) mod 10^9 is
 * a bijection (7919 is coprime with 10^9), so no two rows share a number.
 */
export function demoPhone(n: number): string {
  const nine = (n * 7919 + 104_729) % 1_000_000_000;
  return `+79${String(nine).padStart(9, '0')}`;
}

export function generatePerson(n: number, age: number | undefined): GeneratedPerson {
  const rnd = seededRng(fnv1a(`kairos-demo-${n}`));
  const gender: 'm' | 'f' = rnd() < 0.5 ? 'm' : 'f';
  const older = (age ?? 40) >= 45;
  const firstPool = gender === 'm' ? (older ? maleOlder : maleYounger) : older ? femaleOlder : femaleYounger;
  const firstName = pick(firstPool, rnd());
  const [pm, pf] = pick(patronymics, rnd());
  const [sm, sf] = pick(surnames, rnd());
  const lastName = gender === 'm' ? sm : sf;
  const patronymic = gender === 'm' ? pm : pf;
  return {
    gender,
    firstName,
    patronymic,
    lastName,
    phone: demoPhone(n),
    email: `${translit(firstName)}.${translit(lastName)}.${n}@bank.example`,
    card: `card-${n}`,
  };
}
