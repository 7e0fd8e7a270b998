import { useTexts } from '../i18n/texts';

/** A page the key's role may not read: its title and a sentence saying so (the API would answer 403). */
export function NotAllowed({ title }: { title: string }) {
  const t = useTexts();
  return (
    <section aria-labelledby="page-title" data-state="ready">
      <h1 id="page-title">{title}</h1>
      <p>{t.notAllowed}</p>
    </section>
  );
}
